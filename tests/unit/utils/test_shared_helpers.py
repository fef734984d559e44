"""The small helpers several steps share: ``column_matrix`` and ``user_prompt``."""

import pytest

from distilabel.errors import DistilabelUserError
from distilabel.utils.arrays import column_matrix
from distilabel.utils.template import package_template, render_template, user_prompt


def test_column_matrix_stacks_the_vectors_as_float64() -> None:
    matrix = column_matrix([{"embedding": [1, 2]}, {"embedding": [3.5, 4]}], "embedding", "Step")
    assert matrix.dtype.name == "float64"
    assert matrix.tolist() == [[1.0, 2.0], [3.5, 4.0]]


@pytest.mark.parametrize(
    ("rows", "column", "message"),
    [
        ([{"embedding": [1, 2]}, {"embedding": [1]}], "embedding", "UMAP: every row needs an `embedding`"),
        ([{"other": [1]}], "projection", "UMAP: every row needs a `projection`"),
        ([{"projection": ["x", "y"]}], "projection", "UMAP: every row needs a `projection`"),
    ],
)
def test_column_matrix_names_the_step_and_column_on_bad_rows(rows, column, message) -> None:
    with pytest.raises(DistilabelUserError, match=message) as caught:
        column_matrix(rows, column, "UMAP")
    assert "of the same width (" in str(caught.value)


def test_user_prompt_is_one_user_turn_of_the_rendered_package_template() -> None:
    name = "instruction_data/backtranslation.jinja2"
    messages = user_prompt(name, instruction="Name a prime.", generation="7")
    expected = render_template(package_template(name), instruction="Name a prime.", generation="7")
    assert messages == [{"role": "user", "content": expected}]
    assert "Name a prime." in expected and "7" in expected


def test_the_evol_tasks_share_one_check_of_their_mutation_templates() -> None:
    from distilabel.steps.tasks import EvolInstruct, EvolInstructGenerator, EvolQuality
    from tests.unit.pipeline.fakes import EchoSyncLLM

    for task, fields in ((EvolInstruct, {"num_evolutions": 1}), (EvolQuality, {"num_evolutions": 1})):
        with pytest.raises(ValueError, match="must hold at least one template"):
            task(llm=EchoSyncLLM(), mutation_templates={}, **fields)
        assert task(llm=EchoSyncLLM(), mutation_templates={"B": "b", "A": "a"}, **fields).mutation_templates_names == ["B", "A"]
    with pytest.raises(ValueError, match=r"needs the templates \['FRESH_START'\]"):
        EvolInstructGenerator(llm=EchoSyncLLM(), num_instructions=1, mutation_templates={"A": "a"})


def test_the_math_shepherd_steps_share_the_two_tags_rule() -> None:
    from distilabel.steps.tasks import FormatPRM, MathShepherdCompleter
    from tests.unit.pipeline.fakes import EchoSyncLLM

    assert FormatPRM().tags == MathShepherdCompleter(llm=EchoSyncLLM()).tags == ["+", "-"]
    for tags in (["x", "x"], ["", "-"], ["a", "b", "c"]):
        with pytest.raises(ValueError, match="two different non-empty tags"):
            FormatPRM(tags=tags)
        with pytest.raises(ValueError, match="two different non-empty tags"):
            MathShepherdCompleter(llm=EchoSyncLLM(), tags=tags)
