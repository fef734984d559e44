"""The PairRM pairwise ranker as a ``transformers`` model (imported by ``PairRM.load()`` only).

PairRM (LLM-Blender) reads one sequence ``<|source|> input <|candidate1|> A <|candidate2|> B``
with a DeBERTa-v3 encoder, and scores ``source+A`` and ``source+B`` with a small
head on the hidden states at the three marker tokens; the difference says how much
better A is than B. A list of candidates is ranked by comparing every ordered pair.
The module and attribute names below are those of the checkpoint format of
``llm-blender/PairRM-hf``, so its weights load as they are.
"""

from typing import Any, List, Sequence, Tuple

import torch
from torch import nn
from transformers.models.deberta_v2.modeling_deberta_v2 import (
    DebertaV2Model,
    DebertaV2PreTrainedModel,
)

SOURCE_PREFIX = "<|source|>"
CANDIDATE1_PREFIX = "<|candidate1|>"
CANDIDATE2_PREFIX = "<|candidate2|>"
# The lengths PairRM was trained with: the source, and each candidate at most.
SOURCE_MAX_LENGTH = 1224
CANDIDATE_MAX_LENGTH = 412


class PairRankerModel(DebertaV2PreTrainedModel):
    """A DeBERTa-v2 encoder with PairRM's comparison head.

    The config carries PairRM's fields besides DeBERTa's: ``n_tasks`` (head outputs),
    ``drop_out``, and the token ids ``source_prefix_id``, ``cand1_prefix_id`` and
    ``cand2_prefix_id`` of the three markers.
    """

    base_model_prefix = "pretrained_model"

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        hidden = config.hidden_size
        dropout = getattr(config, "drop_out", 0.05)
        self.pretrained_model = DebertaV2Model(config)
        self.head_layer = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(2 * hidden, hidden),
            nn.Tanh(),
            nn.Dropout(dropout),
            nn.Linear(hidden, getattr(config, "n_tasks", 1)),
        )
        self.post_init()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        """How much better candidate 1 is than candidate 2, per sequence (> 0: candidate 1)."""
        hidden = self.pretrained_model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        source = _hidden_at(hidden, input_ids, self.config.source_prefix_id)
        first = _hidden_at(hidden, input_ids, self.config.cand1_prefix_id)
        second = _hidden_at(hidden, input_ids, self.config.cand2_prefix_id)
        left = self.head_layer(torch.cat([source, first], dim=-1))
        right = self.head_layer(torch.cat([source, second], dim=-1))
        return (left - right).mean(dim=-1)


def _hidden_at(hidden: torch.Tensor, input_ids: torch.Tensor, token_id: int) -> torch.Tensor:
    """The hidden state at the first ``token_id`` of each sequence."""
    found = input_ids == token_id
    if not bool(found.any(dim=1).all()):
        raise ValueError(f"a PairRM input lacks the marker token id {token_id}")
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), found.int().argmax(dim=1)]


def encode_pair(tokenizer: Any, source: str, first: str, second: str) -> List[int]:
    """The token ids of one comparison, truncated the way PairRM was trained."""
    source_ids = tokenizer.encode(SOURCE_PREFIX + source, max_length=SOURCE_MAX_LENGTH, truncation=True)
    # What the source leaves of the total budget is shared by the two candidates.
    room = (SOURCE_MAX_LENGTH + 2 * CANDIDATE_MAX_LENGTH - len(source_ids)) // 2
    first_ids = tokenizer.encode(CANDIDATE1_PREFIX + first, max_length=room, truncation=True)
    second_ids = tokenizer.encode(CANDIDATE2_PREFIX + second, max_length=room, truncation=True)
    return source_ids + first_ids + second_ids


def compare(model: PairRankerModel, tokenizer: Any, pairs: Sequence[Tuple[str, str, str]], batch_size: int) -> List[float]:
    """The comparison logit of each ``(source, first, second)``, ``batch_size`` sequences per forward pass."""
    logits: List[float] = []
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    device = next(model.parameters()).device
    for start in range(0, len(pairs), batch_size):
        encoded = [encode_pair(tokenizer, *pair) for pair in pairs[start : start + batch_size]]
        width = max(len(ids) for ids in encoded)
        input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids in encoded], device=device)
        mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids in encoded], device=device)
        with torch.inference_mode():
            logits.extend(model(input_ids=input_ids, attention_mask=mask).float().cpu().tolist())
    return logits


def ranks_from_comparisons(logits: Sequence[Sequence[float]]) -> List[int]:
    """Ranks (1 is best) from the matrix ``logits[i][j]`` of "i beats j" over every ordered pair.

    A candidate's score is its mean margin over the others, counting each pair in both
    orders; candidates with equal scores share the better rank.
    """
    count = len(logits)
    scores = [sum(logits[i][j] - logits[j][i] for j in range(count) if j != i) / max(count - 1, 1) for i in range(count)]
    return [1 + sum(other > score for other in scores) for score in scores]


__all__ = ["PairRankerModel", "compare", "encode_pair", "ranks_from_comparisons"]
