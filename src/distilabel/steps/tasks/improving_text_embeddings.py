"""Synthetic data for training text embedding models (Wang et al., "Improving Text Embeddings with LLMs", 2023).

The method has two stages. First an LLM brainstorms tasks of a category (text
retrieval, short or long text matching, text classification): `EmbeddingTaskGenerator`.
Then, for each task, an LLM writes one training example as a JSON object, with the
example's traits (query type and length, clarity, education level, document length)
drawn at random for diversity: `GenerateTextRetrievalData`, `GenerateShortTextMatchingData`,
`GenerateLongTextMatchingData`, `GenerateTextClassificationData`. Two more kinds need
no task: `MonolingualTripletGenerator` (sentences of graded similarity) and
`BitextRetrievalGenerator` (translations of graded quality).

Every random choice comes from a generator seeded by ``seed`` (and, for tasks that
read rows, the row's ``task``), so a rerun sends the same prompts: the response
cache answers them, and the dataset is reproducible.
"""

import random
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Literal, Optional, Sequence, get_args

from pydantic import Field, PrivateAttr

from distilabel.errors import DistilabelUserError
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import GeneratorTask, Task
from distilabel.utils.llm_json import json_object, loads_llm_json
from distilabel.utils.template import package_template, render_template

if TYPE_CHECKING:
    from distilabel.typing import ChatType, GeneratorStepOutput, StepColumns

_LANGUAGE_DESCRIPTION = (
    "The language of the data; the paper uses the languages of XLM-R (Appendix A of"
    " https://aclanthology.org/2020.acl-main.747.pdf)."
)
# Each trait's options, written once: the field's type, and (via get_args) what a draw picks from.
QueryType = Literal["extremely long-tail", "long-tail", "common"]
QueryLength = Literal["less than 5 words", "5 to 15 words", "at least 10 words"]
Difficulty = Literal["high school", "college", "PhD"]
Clarity = Literal["clear", "understandable with some effort", "ambiguous"]
NumWords = Literal[50, 100, 200, 300, 400, 500]
Unit = Literal["sentence", "phrase", "passage"]
SchoolLevel = Literal["elementary school", "high school", "college"]
HighScore = Literal["4", "4.5", "5"]
LowScore = Literal["2.5", "3", "3.5"]
QUERY_TYPES = get_args(QueryType)
QUERY_LENGTHS = get_args(QueryLength)
DIFFICULTIES = get_args(Difficulty)
CLARITIES = get_args(Clarity)
NUM_WORDS = get_args(NumWords)
UNITS = get_args(Unit)
SCHOOL_LEVELS = get_args(SchoolLevel)
HIGH_SCORES = get_args(HighScore)
LOW_SCORES = get_args(LowScore)


def _render(name: str, **values: Any) -> "ChatType":
    prompt = render_template(
        package_template(f"improving_text_embeddings/{name}.jinja2"), **values
    ).strip()
    return [{"role": "user", "content": prompt}]  # type: ignore[return-value]


def _pick(rng: random.Random, value: Any, options: Sequence[Any]) -> Any:
    """``value`` when set, else a random one of ``options``."""
    return value if value is not None else rng.choice(list(options))


class _DrawnTraitsPrompt:
    """A prompt from one template whose traits (attributes left ``None``) are drawn at random.

    ``_traits`` maps each trait attribute to its options, in the order they are drawn: the
    order is part of what a seed reproduces.
    """

    _template: ClassVar[str]
    _traits: ClassVar[Dict[str, Sequence[Any]]] = {}

    def _render_drawn(self, rng: random.Random, **given: Any) -> "ChatType":
        drawn = {
            name: _pick(rng, getattr(self, name), options) for name, options in self._traits.items()
        }
        return _render(self._template, **given, **drawn)


class _JSONKeysOutput(ABC):
    """Output parsing shared by the example writers: a JSON object whose ``keys`` become columns.

    A key the object lacks is ``None``; an answer with no JSON object makes every key ``None``.
    """

    @property
    @abstractmethod
    def keys(self) -> List[str]:
        """The JSON keys read from the answer, in column order."""

    @property
    def outputs(self) -> "StepColumns":
        return [*self.keys, "model_name"]

    def format_output(
        self, output: Optional[str], input: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        parsed = json_object(output)
        if parsed is None:
            return dict.fromkeys(self.keys)
        return {key: parsed.get(key) for key in self.keys}

    def get_structured_output(self) -> Dict[str, Any]:
        """A JSON schema asking for every key as a string (used with ``use_default_structured_output``)."""
        return {
            "properties": {key: {"title": key, "type": "string"} for key in self.keys},
            "required": list(self.keys),
            "title": type(self).__name__,
            "type": "object",
        }


class _EmbeddingDataGeneration(_DrawnTraitsPrompt, _JSONKeysOutput, Task, ABC):
    """Writes one example per row's ``task``; traits left ``None`` are drawn per row.

    Attributes:
        seed: seeds the random choice of the traits (together with the row's task).
        language: the language of the example.
    """

    seed: int = 42
    language: str = Field(default="English", description=_LANGUAGE_DESCRIPTION)

    inputs = column_property(["task"])

    def _rng_for(self, input: Dict[str, Any]) -> random.Random:
        return random.Random(f"{self.seed}\x00{input['task']}")

    def _task_of(self, input: Dict[str, Any]) -> str:
        task = input.get("task")
        if not isinstance(task, str) or not task.strip():
            raise DistilabelUserError(
                f"{type(self).__name__} needs a `task` column with a task description, got {task!r}"
                " (EmbeddingTaskGenerator(flatten_tasks=True) writes one per row)."
            )
        return task

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        task = self._task_of(input)
        return self._render_drawn(self._rng_for(input), task=task, language=self.language)


class _EmbeddingDataGenerator(_DrawnTraitsPrompt, _JSONKeysOutput, GeneratorTask, ABC):
    """Writes examples from its attributes alone: one prompt, ``num_generations`` rows.

    Attributes:
        seed: seeds the random choice of the traits left ``None``.
    """

    seed: int = 42

    _rng: Optional[random.Random] = PrivateAttr(default=None)

    def load(self) -> None:
        super().load()
        self._rng = random.Random(self.seed)

    @property
    @abstractmethod
    def prompt(self) -> "ChatType":
        """A prompt, with the traits left ``None`` drawn anew on each access."""

    @property
    def _random(self) -> random.Random:
        if self._rng is None:
            self._rng = random.Random(self.seed)
        return self._rng

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        return self.prompt

    def process(self, offset: int = 0) -> "GeneratorStepOutput":  # type: ignore[override]
        yield _generate_once(self), True


def _generate_once(task: GeneratorTask) -> List[Dict[str, Any]]:
    """The rows of one prompt's ``num_generations`` generations (a generator task's only batch)."""
    formatted = task._format({})
    output = task._generate_batch([formatted])[0]
    return task._rows_for({}, formatted, output)


# --- stage one: brainstorming tasks -------------------------------------------------------------


class EmbeddingTaskGenerator(GeneratorTask):
    """Brainstorm task descriptions of one category, for generating embedding training data.

    The first stage of the method: the LLM lists about 20 tasks of the ``category``,
    e.g. for ``"text-retrieval"``: "Given a legal question, retrieve the court
    decisions that answer it." Feed them to the matching example writer
    (`GenerateTextRetrievalData` and the like), one task per row, with ``flatten_tasks=True``.

    Attributes:
        category: ``"text-retrieval"``, ``"text-matching-short"``, ``"text-matching-long"``
            or ``"text-classification"``.
        flatten_tasks: one row per task (column ``task``) instead of one row per
            generation holding the list (column ``tasks``).

    Output columns:
        - tasks (`List[str]`): the tasks, with ``flatten_tasks=False``; ``None`` when the
            answer holds no list of strings.
        - task (`str`): one task, with ``flatten_tasks=True`` (``None`` in the single row
            of a generation whose answer did not parse).
        - model_name (`str`): the model that generated them.

    References:
        - [Improving Text Embeddings with Large Language Models](https://arxiv.org/abs/2401.00368)

    Examples:
        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.pipeline import Pipeline
        from distilabel.steps.tasks import EmbeddingTaskGenerator, GenerateTextRetrievalData

        with Pipeline(name="embedding-data") as pipeline:
            tasks = EmbeddingTaskGenerator(category="text-retrieval", flatten_tasks=True, llm=OpenAILLM(model="gpt-4o"))
            examples = GenerateTextRetrievalData(language="English", llm=OpenAILLM(model="gpt-4o"))
            tasks >> examples
        ```
    """

    category: Literal[
        "text-retrieval", "text-matching-short", "text-matching-long", "text-classification"
    ]
    flatten_tasks: bool = False

    @property
    def prompt(self) -> "ChatType":
        """The brainstorming prompt of the ``category``."""
        return _render(f"brainstorming/{self.category}")

    @property
    def outputs(self) -> "StepColumns":
        return ["task" if self.flatten_tasks else "tasks", "model_name"]

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        return self.prompt

    def format_output(
        self, output: Optional[str], input: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        return {"tasks": _task_list(output)}

    def get_structured_output(self) -> Dict[str, Any]:
        """A JSON schema asking for ``{"tasks": [str, ...]}``."""
        return {
            "properties": {
                "tasks": {"items": {"type": "string"}, "title": "Tasks", "type": "array"}
            },
            "required": ["tasks"],
            "title": "EmbeddingTasks",
            "type": "object",
        }

    def process(self, offset: int = 0) -> "GeneratorStepOutput":  # type: ignore[override]
        rows = _generate_once(self)
        if not self.flatten_tasks:
            yield rows, True
            return
        flat: List[Dict[str, Any]] = []
        for row in rows:
            tasks = row.pop("tasks")
            for task in tasks or [None]:
                flat.append({**row, "task": task})
        yield flat, True


def _task_list(output: Optional[str]) -> Optional[List[str]]:
    try:
        parsed = loads_llm_json(output)
    except ValueError:
        return None
    if isinstance(parsed, dict):
        lists = [value for value in parsed.values() if isinstance(value, list)]
        parsed = lists[0] if len(lists) == 1 else None
    if not isinstance(parsed, list):
        return None
    tasks = [item.strip() for item in parsed if isinstance(item, str) and item.strip()]
    return tasks or None


# --- stage two: one example per task ------------------------------------------------------------


class GenerateTextRetrievalData(_EmbeddingDataGeneration):
    """Write a text retrieval example for a task: a query, a relevant document and a hard negative.

    Attributes:
        language: the language of the example.
        query_type: ``"extremely long-tail"``, ``"long-tail"`` or ``"common"``; drawn per row when ``None``.
        query_length: ``"less than 5 words"``, ``"5 to 15 words"`` or ``"at least 10 words"``; drawn when ``None``.
        difficulty: ``"high school"``, ``"college"`` or ``"PhD"``; drawn when ``None``.
        clarity: ``"clear"``, ``"understandable with some effort"`` or ``"ambiguous"``; drawn when ``None``.
        num_words: the documents' minimum length, 50, 100, 200, 300, 400 or 500 words; drawn when ``None``.
        seed: seeds the draws (with the row's task).

    Input columns:
        - task (`str`): the retrieval task (e.g. from `EmbeddingTaskGenerator`).

    Output columns:
        - user_query (`str`): the query.
        - positive_document (`str`): a document that answers it.
        - hard_negative_document (`str`): a document that only seems to.
        - model_name (`str`): the model that wrote them.

    References:
        - [Improving Text Embeddings with Large Language Models](https://arxiv.org/abs/2401.00368)

    Examples:
        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.steps.tasks import GenerateTextRetrievalData

        task = GenerateTextRetrievalData(llm=OpenAILLM(model="gpt-4o"), query_type="common", num_words=100)
        task.load()
        rows = next(task.process([{"task": "Given a recipe name, find recipes with the same main ingredient."}]))
        # rows[0]["user_query"], rows[0]["positive_document"], rows[0]["hard_negative_document"]
        ```
    """

    query_type: Optional[QueryType] = None
    query_length: Optional[QueryLength] = None
    difficulty: Optional[Difficulty] = None
    clarity: Optional[Clarity] = None
    num_words: Optional[NumWords] = None

    _template: ClassVar[str] = "text-retrieval"
    _traits: ClassVar[Dict[str, Sequence[Any]]] = {
        "query_type": QUERY_TYPES,
        "query_length": QUERY_LENGTHS,
        "difficulty": DIFFICULTIES,
        "clarity": CLARITIES,
        "num_words": NUM_WORDS,
    }

    @property
    def keys(self) -> List[str]:
        return ["user_query", "positive_document", "hard_negative_document"]


class _TextMatchingData(_EmbeddingDataGeneration, ABC):
    """A matching example for a row's task: an input and the text it matches (``_template`` says how long)."""

    @property
    def keys(self) -> List[str]:
        return ["input", "positive_document"]


class GenerateShortTextMatchingData(_TextMatchingData):
    """Write a short text matching example for a task: a short input and the short text it matches.

    Attributes:
        language: the language of the example.
        seed: kept for compatibility; this task draws nothing.

    Input columns:
        - task (`str`): the matching task.

    Output columns:
        - input (`str`): the input.
        - positive_document (`str`): the text that matches it.
        - model_name (`str`): the model that wrote them.

    References:
        - [Improving Text Embeddings with Large Language Models](https://arxiv.org/abs/2401.00368)

    Examples:
        Its tasks come from the ``"text-matching-short"`` category of `EmbeddingTaskGenerator`:

        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.pipeline import Pipeline
        from distilabel.steps.tasks import EmbeddingTaskGenerator, GenerateShortTextMatchingData

        llm = OpenAILLM(model="gpt-4o-mini")
        with Pipeline(name="short-matching-es") as pipeline:
            brainstorm = EmbeddingTaskGenerator(category="text-matching-short", flatten_tasks=True, llm=llm)
            brainstorm >> GenerateShortTextMatchingData(language="Spanish", llm=llm)
        distiset = pipeline.run()
        # one row per brainstormed task: task, input, positive_document, model_name
        ```
    """

    _template: ClassVar[str] = "short-text-matching"


class GenerateLongTextMatchingData(_TextMatchingData):
    """Write a long text matching example for a task: a long input document and the document it matches.

    The long-text twin of `GenerateShortTextMatchingData`, with the same attributes
    (``language``, and ``seed``, which draws nothing here) and the same input column, ``task``.

    Output columns:
        - input (`str`): the input document.
        - positive_document (`str`): the document that matches it.
        - model_name (`str`): the model that wrote them.

    References:
        - [Improving Text Embeddings with Large Language Models](https://arxiv.org/abs/2401.00368)

    Examples:
        ```python
        task = GenerateLongTextMatchingData(llm=llm)
        task.load()
        rows = next(task.process([{"task": "Given a news article, find an article reporting the same event."}]))
        # rows[0]["input"], rows[0]["positive_document"]
        ```
    """

    _template: ClassVar[str] = "long-text-matching"


class GenerateTextClassificationData(_EmbeddingDataGeneration):
    """Write a text classification example for a task: a text, its label and a misleading label.

    Attributes:
        language: the language of the example.
        difficulty: ``"high school"``, ``"college"`` or ``"PhD"``; drawn per row when ``None``.
        clarity: ``"clear"``, ``"understandable with some effort"`` or ``"ambiguous"``; drawn when ``None``.
        seed: seeds the draws (with the row's task).

    Input columns:
        - task (`str`): the classification task.

    Output columns:
        - input_text (`str`): the text.
        - label (`str`): its label.
        - misleading_label (`str`): a plausible but wrong label.
        - model_name (`str`): the model that wrote them.

    References:
        - [Improving Text Embeddings with Large Language Models](https://arxiv.org/abs/2401.00368)

    Examples:
        With a model that follows a JSON schema, ``use_default_structured_output`` asks for
        exactly the three keys, so no answer is lost to a malformed object:

        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.steps.tasks import GenerateTextClassificationData

        task = GenerateTextClassificationData(
            llm=OpenAILLM(model="gpt-4o-mini"),
            difficulty="college",
            use_default_structured_output=True,
        )
        task.load()
        rows = next(task.process([{"task": "Classify a tweet's sentiment as positive, negative or neutral."}]))
        # rows[0]["input_text"], rows[0]["label"], rows[0]["misleading_label"]
        ```
    """

    difficulty: Optional[Difficulty] = None
    clarity: Optional[Clarity] = None

    _template: ClassVar[str] = "text-classification"
    _traits: ClassVar[Dict[str, Sequence[Any]]] = {
        "difficulty": DIFFICULTIES,
        "clarity": CLARITIES,
    }

    @property
    def keys(self) -> List[str]:
        return ["input_text", "label", "misleading_label"]


# --- examples that need no task -----------------------------------------------------------------


class _GradedTripletGenerator(_EmbeddingDataGenerator, ABC):
    """Three texts ``S1``, ``S2``, ``S3`` whose unit, difficulty and scores are drawn when left ``None``."""

    _traits: ClassVar[Dict[str, Sequence[Any]]] = {
        "unit": UNITS,
        "difficulty": SCHOOL_LEVELS,
        "high_score": HIGH_SCORES,
        "low_score": LOW_SCORES,
    }

    @property
    def keys(self) -> List[str]:
        return ["S1", "S2", "S3"]


class MonolingualTripletGenerator(_GradedTripletGenerator):
    """Generate three texts in one language with graded similarity, for semantic similarity training.

    ``S2`` is close in meaning to ``S1`` (``high_score``), ``S3`` further away (``low_score``).

    Attributes:
        language: the language of the texts.
        unit: ``"sentence"``, ``"phrase"`` or ``"passage"``; drawn when ``None``.
        difficulty: ``"elementary school"``, ``"high school"`` or ``"college"``; drawn when ``None``.
        high_score: similarity of S1 and S2, ``"4"``, ``"4.5"`` or ``"5"``; drawn when ``None``.
        low_score: similarity of S1 and S3, ``"2.5"``, ``"3"`` or ``"3.5"``; drawn when ``None``.
        seed: seeds the draws.

    Output columns:
        - S1 (`str`): the first text.
        - S2 (`str`): a text similar to it.
        - S3 (`str`): a text less similar to it.
        - model_name (`str`): the model that wrote them.

    References:
        - [Improving Text Embeddings with Large Language Models](https://arxiv.org/abs/2401.00368)

    Examples:
        ```python
        task = MonolingualTripletGenerator(llm=llm, language="English", unit="sentence", num_generations=4)
        task.load()
        rows, last = next(task.process())
        # four rows, each with S1, S2, S3
        ```
    """

    language: str = Field(default="English", description=_LANGUAGE_DESCRIPTION)
    unit: Optional[Unit] = None
    difficulty: Optional[SchoolLevel] = None
    high_score: Optional[HighScore] = None
    low_score: Optional[LowScore] = None

    _template: ClassVar[str] = "monolingual-triplet"

    @property
    def prompt(self) -> "ChatType":
        return self._render_drawn(self._random, language=self.language)


class BitextRetrievalGenerator(_GradedTripletGenerator):
    """Generate a text and two translations of graded quality, for bitext retrieval training.

    ``S1`` is in ``source_language``; ``S2`` (quality ``high_score``) and ``S3`` (quality
    ``low_score``, with a deliberate mistake) are in ``target_language``.

    Attributes:
        source_language: the language of S1.
        target_language: the language of S2 and S3 (required).
        unit: ``"sentence"``, ``"phrase"`` or ``"passage"``; drawn when ``None``.
        difficulty: ``"elementary school"``, ``"high school"`` or ``"college"``; drawn when ``None``.
        high_score: translation quality of S2, ``"4"``, ``"4.5"`` or ``"5"``; drawn when ``None``.
        low_score: translation quality of S3, ``"2.5"``, ``"3"`` or ``"3.5"``; drawn when ``None``.
        seed: seeds the draws.

    Output columns:
        - S1 (`str`): the source text.
        - S2 (`str`): a good translation.
        - S3 (`str`): a worse translation.
        - model_name (`str`): the model that wrote them.

    References:
        - [Improving Text Embeddings with Large Language Models](https://arxiv.org/abs/2401.00368)

    Examples:
        The languages are attributes, not columns: one generator per language pair.

        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.pipeline import Pipeline
        from distilabel.steps.tasks import BitextRetrievalGenerator

        with Pipeline(name="bitext") as pipeline:
            for language in ("French", "German", "Japanese"):
                BitextRetrievalGenerator(
                    name=f"bitext-en-{language.lower()}",
                    target_language=language,
                    num_generations=50,
                    llm=OpenAILLM(model="gpt-4o-mini"),
                )
        distiset = pipeline.run()
        # one subset per generator; rows[0]["S1"] is English, "S2" and "S3" are translations
        ```
    """

    source_language: str = Field(default="English", description=_LANGUAGE_DESCRIPTION)
    target_language: str = Field(default=..., description=_LANGUAGE_DESCRIPTION)
    unit: Optional[Unit] = None
    difficulty: Optional[SchoolLevel] = None
    high_score: Optional[HighScore] = None
    low_score: Optional[LowScore] = None

    _template: ClassVar[str] = "bitext-retrieval"

    @property
    def prompt(self) -> "ChatType":
        return self._render_drawn(
            self._random,
            source_language=self.source_language,
            target_language=self.target_language,
        )


__all__ = [
    "BitextRetrievalGenerator",
    "EmbeddingTaskGenerator",
    "GenerateLongTextMatchingData",
    "GenerateShortTextMatchingData",
    "GenerateTextClassificationData",
    "GenerateTextRetrievalData",
    "MonolingualTripletGenerator",
]
