"""PairRM: rank candidate responses with LLM-Blender's pairwise reward model, run locally."""

from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from pydantic import PrivateAttr

from distilabel.errors import DistilabelUserError
from distilabel.steps.base import Step, StepInput
from distilabel.steps.column_property import column_property
from distilabel.utils.imports import require

if TYPE_CHECKING:
    from distilabel.typing.steps import StepOutput

_EXTRA = "hf-transformers"


class PairRM(Step):
    """Rank the candidate responses to an input with the PairRM pairwise reward model.

    PairRM (LLM-Blender) compares two candidates at a time for the same input; every
    candidate is compared with every other in both orders, and the mean margins give
    the ranking. The model runs locally through ``transformers`` (on a GPU when there
    is one) and must be on disk: ``model`` is the folder of a checkpoint in the
    ``transformers`` format of ``llm-blender/PairRM-hf`` (its ``config.json``, weights
    and tokenizer files). Nothing is downloaded: fetch the checkpoint beforehand, e.g.
    ``huggingface-cli download llm-blender/PairRM-hf --local-dir PairRM-hf``, and pass
    ``model="PairRM-hf"``.

    Attributes:
        model: the folder holding the PairRM checkpoint.
        instructions: text put before every input, e.g. a shared task description.
        input_batch_size: how many rows ``process`` gets at a time; also how many
            comparisons go through the model in one forward pass.

    Input columns:
        - input (`str`): the instruction or conversation text the candidates answer.
        - candidates (`List[str]`): the responses to rank.

    Output columns:
        - ranks (`List[int]`): each candidate's rank, 1 for the best (ties share a rank).
        - ranked_candidates (`List[str]`): the candidates from best to worst.
        - model_name (`str`): ``model``.

    References:
        - [LLM-Blender: Ensembling Large Language Models with Pairwise Ranking and Generative Fusion](https://arxiv.org/abs/2306.02561)

    Examples:
        ```python
        from distilabel.steps.tasks import PairRM

        ranker = PairRM(model="./PairRM-hf")
        ranker.load()
        rows = next(ranker.process([{"input": "Hello, how are you?", "candidates": ["fine", "good", "bad"]}]))
        # rows[0]["ranks"] -> e.g. [2, 1, 3]; rows[0]["ranked_candidates"] -> ["good", "fine", "bad"]
        ```
    """

    model: str = "llm-blender/PairRM"
    instructions: Optional[str] = None

    _model: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)

    def load(self) -> None:
        """Load the checkpoint in ``model`` (a local folder) onto the GPU, or the CPU when there is none."""
        super().load()
        folder = Path(self.model).expanduser()
        if not folder.is_dir():
            raise DistilabelUserError(
                f"PairRM needs its model in a local folder, and {self.model!r} is not one: distilabel does"
                " not download models at run time. Download the checkpoint first (for instance"
                " `huggingface-cli download llm-blender/PairRM-hf --local-dir PairRM-hf`) and pass that"
                " folder as `model`."
            )
        if not (folder / "config.json").is_file():
            raise DistilabelUserError(f"PairRM: {str(folder)!r} has no config.json, so it is not a model checkpoint.")
        torch = require("torch", _EXTRA, type(self).__name__)
        transformers = require("transformers", _EXTRA, type(self).__name__)
        from distilabel.steps.tasks._pair_ranker import PairRankerModel

        config = transformers.AutoConfig.from_pretrained(str(folder), local_files_only=True)
        missing = [f for f in ("source_prefix_id", "cand1_prefix_id", "cand2_prefix_id") if getattr(config, f, None) is None]
        if config.model_type != "deberta-v2" or missing:
            raise DistilabelUserError(
                f"PairRM: {str(folder)!r} is not a checkpoint in the format of llm-blender/PairRM-hf (a"
                " DeBERTa-v2 config with the PairRM fields source_prefix_id, cand1_prefix_id and"
                f" cand2_prefix_id); its config has model_type {config.model_type!r}"
                + (f" and lacks {missing}." if missing else ".")
            )
        self._tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        model = PairRankerModel.from_pretrained(str(folder), config=config, local_files_only=True)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        self._model = model.to(device).eval()

    def unload(self) -> None:
        self._model = self._tokenizer = None
        super().unload()

    inputs = column_property(["input", "candidates"])
    outputs = column_property(["ranks", "ranked_candidates", "model_name"])

    def format_input(self, input: Dict[str, Any]) -> Dict[str, Any]:
        """The ``input`` text and the ``candidates`` of a row, checked."""
        text, candidates = input.get("input"), input.get("candidates")
        if not isinstance(text, str):
            raise DistilabelUserError(f"PairRM needs `input` to be a string, got {type(text).__name__}.")
        if not isinstance(candidates, list) or not candidates or not all(isinstance(c, str) for c in candidates):
            raise DistilabelUserError(
                f"PairRM needs `candidates` to be a non-empty list of strings, got {str(candidates)[:200]!r}."
            )
        return {"input": text, "candidates": candidates}

    def process(self, inputs: StepInput) -> "StepOutput":  # type: ignore[override]
        """Rank the candidates of each row: ``ranks`` (1 is best) and ``ranked_candidates`` (best first)."""
        if self._model is None:
            raise RuntimeError("PairRM is not loaded: call load() first.")
        from distilabel.steps.tasks._pair_ranker import compare, ranks_from_comparisons

        rows = [self.format_input(row) for row in inputs]
        pairs, owners = [], []
        for index, row in enumerate(rows):
            source = (self.instructions or "") + row["input"]
            for i, first in enumerate(row["candidates"]):
                for j, second in enumerate(row["candidates"]):
                    if i != j:
                        pairs.append((source, first, second))
                        owners.append((index, i, j))
        logits = compare(self._model, self._tokenizer, pairs, self.input_batch_size)
        matrices: List[List[List[float]]] = [[[0.0] * len(r["candidates"]) for _ in r["candidates"]] for r in rows]
        for (index, i, j), logit in zip(owners, logits, strict=True):
            matrices[index][i][j] = logit
        for row, parsed, matrix in zip(inputs, rows, matrices, strict=True):
            ranks = ranks_from_comparisons(matrix)
            order = sorted(range(len(ranks)), key=lambda k: ranks[k])
            row["ranks"] = ranks
            row["ranked_candidates"] = [parsed["candidates"][k] for k in order]
            row["model_name"] = self.model
        yield inputs


__all__ = ["PairRM"]
