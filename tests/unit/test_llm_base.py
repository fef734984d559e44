"""The LLM base classes: kwargs, fan-out, failures, event loops, hidden states."""

import asyncio
import threading
import warnings
from typing import Any, ClassVar, Dict, List

import pytest
from pydantic import BaseModel, validate_call

from distilabel.errors import DistilabelNotImplementedError, DistilabelUserError
from distilabel.models.llms import LLM, AsyncLLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.typing import ChatType, FormattedInput, GenerateOutput


class EchoAsyncLLM(AsyncLLM):
    """Answers with the last message, remembering what it was asked."""

    calls: ClassVar[List[Dict[str, Any]]] = []
    _num_generations_param_supported: ClassVar[bool] = True

    @property
    def model_name(self) -> str:
        return "echo"

    @validate_call
    async def agenerate(
        self,
        input: FormattedInput,
        num_generations: int = 1,
        max_new_tokens: int = 16,
        temperature: float = 1.0,
    ) -> GenerateOutput:
        """Echo the input.

        Args:
            max_new_tokens: the most tokens to generate.
            temperature: how random the answer is.
        """
        type(self).calls.append({"num_generations": num_generations, "temperature": temperature})
        text = input[-1]["content"]
        if "fail" in text:
            raise RuntimeError(f"cannot answer {text!r}")
        if "slow" in text:
            await asyncio.sleep(0.2)
        return prepare_output([f"{text}#{i}" for i in range(num_generations)], [1], [num_generations])


class NoNEchoLLM(EchoAsyncLLM):
    _num_generations_param_supported: ClassVar[bool] = False


def chat(text: str) -> ChatType:
    return [{"role": "user", "content": text}]


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    EchoAsyncLLM.calls = []


def test_unknown_field_is_rejected() -> None:
    with pytest.raises(ValueError, match="extra"):
        EchoAsyncLLM(modle="x")


def test_generation_kwargs_are_coerced_from_strings() -> None:
    llm = EchoAsyncLLM(generation_kwargs={"temperature": "0.3", "max_new_tokens": "8"})
    assert llm.generation_kwargs == {"temperature": 0.3, "max_new_tokens": 8}


def test_unknown_generation_kwarg_names_valid_ones_and_closest() -> None:
    # At construction pydantic wraps the error in its ValidationError (also a ValueError).
    with pytest.raises(ValueError) as error:
        EchoAsyncLLM(generation_kwargs={"temprature": 0.3})
    message = str(error.value)
    assert "'temprature'" in message
    assert "Did you mean 'temperature'?" in message
    assert "max_new_tokens" in message


def test_unknown_generation_kwarg_in_generate_call() -> None:
    llm = EchoAsyncLLM()
    llm.load()
    with pytest.raises(DistilabelUserError, match="Did you mean 'max_new_tokens'"):
        llm.generate([chat("hi")], max_new_token=3)
    assert EchoAsyncLLM.calls == []


def test_wrong_type_names_the_parameter() -> None:
    llm = EchoAsyncLLM()
    llm.load()
    with pytest.raises(DistilabelUserError, match="'max_new_tokens'.*valid integer.*'many'"):
        llm.generate([chat("hi")], max_new_tokens="many")
    assert EchoAsyncLLM.calls == [], "no request may go out with an invalid kwarg"


def test_generation_kwargs_defaults_apply_and_calls_override() -> None:
    llm = EchoAsyncLLM(generation_kwargs={"temperature": 0.2})
    llm.load()
    llm.generate_outputs([chat("a")])
    llm.generate_outputs([chat("a")], temperature=0.9)
    assert [c["temperature"] for c in EchoAsyncLLM.calls] == [0.2, 0.9]


def test_runtime_parameters_info_describes_generation_kwargs() -> None:
    llm = EchoAsyncLLM()
    info = {entry["name"]: entry for entry in llm.get_runtime_parameters_info()}
    keys = {key["name"]: key for key in info["generation_kwargs"]["keys"]}
    assert keys["temperature"] == {"name": "temperature", "optional": True, "description": "how random the answer is."}
    assert set(keys) == {"max_new_tokens", "temperature"}
    assert llm.runtime_parameters_names["generation_kwargs"] == {"max_new_tokens": True, "temperature": True}
    assert "max_concurrent_requests" in info


def test_set_runtime_parameters_merges_generation_kwargs() -> None:
    llm = EchoAsyncLLM(generation_kwargs={"max_new_tokens": 5})
    llm.set_runtime_parameters({"generation_kwargs": {"temperature": "0.7"}, "max_concurrent_requests": "3"})
    assert llm.generation_kwargs == {"max_new_tokens": 5, "temperature": 0.7}
    assert llm.max_concurrent_requests == 3


def test_set_unknown_runtime_parameter_names_closest() -> None:
    llm = EchoAsyncLLM()
    with pytest.raises(DistilabelUserError, match="Did you mean 'max_concurrent_requests'"):
        llm.set_runtime_parameters({"max_concurrent_request": 3})


def test_outputs_keep_input_order_and_n() -> None:
    llm = EchoAsyncLLM()
    llm.load()
    outputs = llm.generate([chat("slow"), chat("fast")], num_generations=2)
    assert [o["generations"] for o in outputs] == [["slow#0", "slow#1"], ["fast#0", "fast#1"]]
    assert EchoAsyncLLM.calls[0]["num_generations"] == 2


def test_num_generations_fans_out_without_native_n() -> None:
    llm = NoNEchoLLM()
    llm.load()
    [output] = llm.generate([chat("q")], num_generations=3)
    assert output["generations"] == ["q#0", "q#0", "q#0"]
    assert output["statistics"] == {"input_tokens": [1, 1, 1], "output_tokens": [1, 1, 1]}
    assert [c["num_generations"] for c in EchoAsyncLLM.calls] == [1, 1, 1]


def test_failed_row_keeps_reason_and_others_survive() -> None:
    llm = EchoAsyncLLM()
    llm.load()
    outputs = llm.generate([chat("ok"), chat("please fail"), chat("ok too")], num_generations=2)
    assert outputs[0]["generations"] == ["ok#0", "ok#1"]
    assert outputs[2]["generations"] == ["ok too#0", "ok too#1"]
    assert outputs[1]["generations"] == [None, None]
    assert outputs[1]["errors"] == ["RuntimeError: cannot answer 'please fail'"] * 2
    assert "errors" not in outputs[0]


def test_concurrency_limit_is_a_sliding_window() -> None:
    in_flight = 0
    peak = 0

    class Counting(EchoAsyncLLM):
        async def agenerate(self, input: Any, num_generations: int = 1, **kwargs: Any) -> GenerateOutput:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.01)
            in_flight -= 1
            return prepare_output(["x"])

    llm = Counting(max_concurrent_requests=3)
    llm.load()
    outputs = llm.generate([chat(str(i)) for i in range(20)])
    assert len(outputs) == 20
    assert peak == 3


def test_generate_works_inside_a_running_event_loop() -> None:
    llm = EchoAsyncLLM()
    llm.load()

    async def notebook_cell() -> List[GenerateOutput]:
        return llm.generate([chat("from a notebook")])

    [output] = asyncio.run(notebook_cell())
    assert output["generations"] == ["from a notebook#0"]


def test_agenerate_directly_in_the_callers_loop() -> None:
    llm = EchoAsyncLLM()
    llm.load()
    output = asyncio.run(llm.agenerate(input=chat("direct"), num_generations=1, temperature="0.5"))
    assert output["generations"] == ["direct#0"]
    assert EchoAsyncLLM.calls[0]["temperature"] == 0.5


def test_unload_stops_the_background_loop() -> None:
    llm = EchoAsyncLLM()
    llm.load()
    llm.generate([chat("x")])
    threads_before = {t.name for t in threading.enumerate()}
    assert "distilabel-loop" in threads_before
    llm.unload()
    assert all(t.name != "distilabel-loop" or not t.is_alive() for t in threading.enumerate())
    llm.load()
    assert llm.generate([chat("again")])[0]["generations"] == ["again#0"]
    llm.unload()


def test_structured_output_checks_generations() -> None:
    class Answer(BaseModel):
        value: int

    class JsonLLM(EchoAsyncLLM):
        async def agenerate(self, input: Any, num_generations: int = 1, **kwargs: Any) -> GenerateOutput:
            return prepare_output([input[0][-1]["content"]])

    llm = JsonLLM()
    llm.load()
    spec = {"format": "json", "schema": Answer}
    good, bad = llm.generate([(chat('{"value": 3}'), spec), (chat('{"value": "x"}'), spec)])
    assert good["generations"] == ['{"value": 3}']
    assert bad["generations"] == [None]
    assert "does not follow the JSON schema 'Answer'" in bad["errors"][0]


def test_offline_batch_generation_not_supported_is_explicit() -> None:
    with pytest.raises(DistilabelNotImplementedError, match="no offline batch generation"):
        EchoAsyncLLM(use_offline_batch_generation=True)


def test_hidden_states_singular_and_plural_names() -> None:
    class Hidden(LLM):
        @property
        def model_name(self) -> str:
            return "h"

        def generate(self, inputs: List[ChatType], num_generations: int = 1, **kwargs: Any) -> List[GenerateOutput]:
            return []

        def get_last_hidden_state(self, inputs: List[ChatType]) -> List[Any]:
            return [[[0.5]] for _ in inputs]

    llm = Hidden()
    assert llm.get_last_hidden_states([chat("a")]) == [[[0.5]]]
    with pytest.raises(DistilabelNotImplementedError, match="does not expose hidden states"):
        EchoAsyncLLM().get_last_hidden_states([chat("a")])


def test_old_import_path_warns_and_gives_the_same_class() -> None:
    import distilabel.llms
    from distilabel.models.llms import OpenAILLM

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = distilabel.llms.OpenAILLM
    assert old is OpenAILLM
    assert any(issubclass(w.category, DeprecationWarning) and "distilabel.models.llms" in str(w.message) for w in caught)


def test_import_distilabel_does_not_import_sdks() -> None:
    import subprocess
    import sys

    code = "import sys, distilabel, distilabel.models.llms; print(sorted(m for m in ('openai','anthropic','torch','llama_cpp','datasets') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
