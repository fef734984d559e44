"""Steps: the units a pipeline chains together (``from distilabel.steps import KeepColumns``)."""

from typing import TYPE_CHECKING

from distilabel.utils.lazy import lazy_exports

_EXPORTS = {
    "GeneratorStep": ".base",
    "GlobalStep": ".base",
    "Step": ".base",
    "StepInput": ".base",
    "StepResources": ".base",
    "step": ".decorator",
    "LoadDataFromDicts": ".generators.data",
    "make_generator_step": ".generators.data",
    "LoadDataFromDisk": ".generators.huggingface",
    "LoadDataFromFileSystem": ".generators.huggingface",
    "LoadDataFromHub": ".generators.huggingface",
    "KeepColumns": ".columns.keep",
    "CombineColumns": ".columns.group",
    "CombineOutputs": ".columns.combine",
    "GroupColumns": ".columns.group",
    "MergeColumns": ".columns.merge",
    "ExpandColumns": ".columns.expand",
    "FormatTextGenerationSFT": ".formatting.sft",
    "FormatChatGenerationSFT": ".formatting.sft",
    "FormatTextGenerationDPO": ".formatting.dpo",
    "FormatChatGenerationDPO": ".formatting.dpo",
    "EmbeddingGeneration": ".embeddings.embedding_generation",
    # curation: sampling, templates, truncation, filtering, deduplication, clustering, scoring
    "DataSampler": ".generators.data_sampler",
    "ConversationTemplate": ".formatting.conversation",
    "TruncateTextColumn": ".truncate",
    "DeitaFiltering": ".deita",
    "FaissNearestNeighbour": ".embeddings.nearest_neighbour",
    "MinHashDedup": ".filtering.minhash",
    "EmbeddingDedup": ".filtering.embedding",
    "RewardModelScore": ".reward_model",
    "UMAP": ".clustering.umap",
    "DBSCAN": ".clustering.dbscan",
    "TextClustering": ".clustering.text_clustering",
    # output: the Hub and Argilla
    "PushToHub": ".globals.huggingface",
    "PreferenceToArgilla": ".argilla.preference",
    "TextGenerationToArgilla": ".argilla.text_generation",
    "StepOutput": "distilabel.typing.steps",
    "GeneratorStepOutput": "distilabel.typing.steps",
    "StepColumns": "distilabel.typing.steps",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from distilabel.steps.base import GeneratorStep, GlobalStep, Step, StepInput, StepResources
    from distilabel.steps.columns.combine import CombineOutputs
    from distilabel.steps.columns.expand import ExpandColumns
    from distilabel.steps.columns.group import CombineColumns, GroupColumns
    from distilabel.steps.columns.keep import KeepColumns
    from distilabel.steps.columns.merge import MergeColumns
    from distilabel.steps.decorator import step
    from distilabel.steps.embeddings.embedding_generation import EmbeddingGeneration
    from distilabel.steps.formatting.dpo import FormatChatGenerationDPO, FormatTextGenerationDPO
    from distilabel.steps.formatting.sft import FormatChatGenerationSFT, FormatTextGenerationSFT
    from distilabel.steps.generators.data import LoadDataFromDicts, make_generator_step
    from distilabel.steps.generators.huggingface import (
        LoadDataFromDisk,
        LoadDataFromFileSystem,
        LoadDataFromHub,
    )
    from distilabel.typing.steps import GeneratorStepOutput, StepColumns, StepOutput
