"""Steps: the units a pipeline chains together (``from distilabel.steps import KeepColumns``)."""

from typing import TYPE_CHECKING

from distilabel.utils.lazy import lazy_package

if TYPE_CHECKING:
    from distilabel.steps.argilla.preference import PreferenceToArgilla
    from distilabel.steps.argilla.text_generation import TextGenerationToArgilla
    from distilabel.steps.base import GeneratorStep, GlobalStep, Step, StepInput, StepResources
    from distilabel.steps.clustering.dbscan import DBSCAN
    from distilabel.steps.clustering.text_clustering import TextClustering
    from distilabel.steps.clustering.umap import UMAP
    from distilabel.steps.columns.combine import CombineOutputs
    from distilabel.steps.columns.expand import ExpandColumns
    from distilabel.steps.columns.group import CombineColumns, GroupColumns
    from distilabel.steps.columns.keep import KeepColumns
    from distilabel.steps.columns.merge import MergeColumns
    from distilabel.steps.decorator import step
    from distilabel.steps.deita import DeitaFiltering
    from distilabel.steps.embeddings.embedding_generation import EmbeddingGeneration
    from distilabel.steps.embeddings.nearest_neighbour import FaissNearestNeighbour
    from distilabel.steps.filtering.embedding import EmbeddingDedup
    from distilabel.steps.filtering.minhash import MinHashDedup
    from distilabel.steps.formatting.conversation import ConversationTemplate
    from distilabel.steps.formatting.dpo import FormatChatGenerationDPO, FormatTextGenerationDPO
    from distilabel.steps.formatting.sft import FormatChatGenerationSFT, FormatTextGenerationSFT
    from distilabel.steps.generators.data import LoadDataFromDicts, make_generator_step
    from distilabel.steps.generators.data_sampler import DataSampler
    from distilabel.steps.generators.huggingface import (
        LoadDataFromDisk,
        LoadDataFromFileSystem,
        LoadDataFromHub,
    )
    from distilabel.steps.globals.huggingface import PushToHub
    from distilabel.steps.reward_model import RewardModelScore
    from distilabel.steps.truncate import TruncateTextColumn
    from distilabel.typing.steps import GeneratorStepOutput, StepColumns, StepOutput

_EXPORTS, __getattr__, __dir__, __all__ = lazy_package(__name__, __file__)
