"""Tasks: steps that call an LLM (``from distilabel.steps.tasks import TextGeneration``)."""

from typing import TYPE_CHECKING

from distilabel.utils.lazy import lazy_exports

_EXPORTS = {
    "Task": ".base",
    "GeneratorTask": ".base",
    "GlobalTask": ".base",
    "ImageTask": ".base",
    "task": ".decorator",
    "TextGeneration": ".text_generation",
    "ChatGeneration": ".text_generation",
    "TextGenerationWithImage": ".text_generation_with_image",
    "ImageGeneration": ".image_generation",
    "GenerateEmbeddings": ".generate_embeddings",
    # instruction generation and evolution
    "Magpie": ".magpie.base",
    "MagpieGenerator": ".magpie.generator",
    "SelfInstruct": ".self_instruct",
    "EvolInstruct": ".evol_instruct.base",
    "EvolInstructGenerator": ".evol_instruct.generator",
    "EvolComplexity": ".evol_instruct.evol_complexity.base",
    "EvolComplexityGenerator": ".evol_instruct.evol_complexity.generator",
    "EvolQuality": ".evol_quality.base",
    # structure, classification, sentence pairs, instruction tuning data
    "GenerateSentencePair": ".sentence_transformers",
    "InstructionBacktranslation": ".instruction_backtranslation",
    "Genstruct": ".genstruct",
    "URIAL": ".urial",
    "CLAIR": ".clair",
    "StructuredGeneration": ".structured_generation",
    "TextClassification": ".text_classification",
    # function calling and process reward data
    "APIGenGenerator": ".apigen.generator",
    "APIGenSemanticChecker": ".apigen.semantic_checker",
    "APIGenExecutionChecker": ".apigen.execution_checker",
    "MathShepherdGenerator": ".math_shepherd.generator",
    "MathShepherdCompleter": ".math_shepherd.completer",
    "FormatPRM": ".math_shepherd.utils",
    # data for embedding models
    "EmbeddingTaskGenerator": ".improving_text_embeddings",
    "GenerateTextRetrievalData": ".improving_text_embeddings",
    "GenerateShortTextMatchingData": ".improving_text_embeddings",
    "GenerateLongTextMatchingData": ".improving_text_embeddings",
    "GenerateTextClassificationData": ".improving_text_embeddings",
    "MonolingualTripletGenerator": ".improving_text_embeddings",
    "BitextRetrievalGenerator": ".improving_text_embeddings",
    # judges and scorers
    "UltraFeedback": ".ultrafeedback",
    "PrometheusEval": ".prometheus_eval",
    "QualityScorer": ".quality_scorer",
    "ComplexityScorer": ".complexity_scorer",
    "PairRM": ".pair_rm",
    "ArgillaLabeller": ".argilla_labeller",
    "ChatType": "distilabel.typing.models",
    "ChatItem": "distilabel.typing.models",
    "FormattedInput": "distilabel.typing.models",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from distilabel.steps.tasks.base import GeneratorTask, GlobalTask, Task
    from distilabel.steps.tasks.generate_embeddings import GenerateEmbeddings
    from distilabel.steps.tasks.text_generation import ChatGeneration, TextGeneration
    from distilabel.typing.models import ChatType, FormattedInput
