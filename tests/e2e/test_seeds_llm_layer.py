"""The seed documentation's code blocks that use only the LLM layer, run as written.

Each block is copied verbatim from ``shared/seeds`` and executed with
``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` pointing at the loopback OpenAI server,
the way a user would point the docs' code at a provider. Where a block cannot
run as printed (it elides the body with ``...`` or uses ``List`` without importing
it), the test says so and changes only that.
"""

import textwrap
from typing import Any, Dict

import pytest

from distilabel.exceptions import DistilabelOfflineBatchGenerationNotFinishedException
from tests.servers.openai_server import OpenAIServer

STANDALONE_GENERATE = '''
from distilabel.llms import OpenAILLM

llm = OpenAILLM(model="gpt-4")
llm.load()

llm.generate(
    inputs=[
        [{"role": "user", "content": "What's the capital of Spain?"}],
    ],
)
# "The capital of Spain is Madrid."
'''

OFFLINE_BATCH = '''
from distilabel.llms import OpenAILLM

llm = OpenAILLM(
    model="gpt-4o",
    use_offline_batch_generation=True,
)

llm.load()

llm.jobs_ids  # (1)
# None

llm.generate_outputs(  # (2)
    inputs=[
        [{"role": "user", "content": "What's the capital of Spain?"}],
    ],
)
# DistilabelOfflineBatchGenerationNotFinishedException: Batch generation with jobs_ids=('batch_OGB4VjKpu2ay9nz3iiFJxt5H',) is not finished
'''

OFFLINE_BATCH_SECOND_CALL = '''
llm.jobs_ids  # (3)
# ('batch_OGB4VjKpu2ay9nz3iiFJxt5H',)


llm.generate_outputs(  # (4)
    inputs=[
        [{"role": "user", "content": "What's the capital of Spain?"}],
    ],
)
# "The capital of Spain is Madrid."
'''

OFFLINE_BATCH_POLLING = '''
from distilabel.llms import OpenAILLM

llm = OpenAILLM(
    model="gpt-4o",
    use_offline_batch_generation=True,
    offline_batch_generation_block_until_done=5,  # poll for results every 5 seconds
)
llm.load()

llm.generate_outputs(
    inputs=[
        [{"role": "user", "content": "What's the capital of Spain?"}],
    ],
)
# "The capital of Spain is Madrid."
'''

JSON_MODE = '''
from distilabel.llms import OpenAILLM
llm = OpenAILLM(model="gpt4-turbo", api_key="api.key")
llm.generate(..., response_format="json")
'''

CUSTOM_LLMS = '''
from typing import Any

from pydantic import validate_call

from distilabel.llms import AsyncLLM, LLM
from distilabel.llms.typing import GenerateOutput, HiddenState
from distilabel.steps.tasks.typing import ChatType


class CustomLLM(LLM):
    @property
    def model_name(self) -> str:
        return "my-model"

    @validate_call
    def generate(self, inputs: List[ChatType], num_generations: int = 1, **kwargs: Any) -> List[GenerateOutput]:
        for _ in range(num_generations):
            ...

    def get_last_hidden_state(self, inputs: List[ChatType]) -> List[HiddenState]:
        ...


class CustomAsyncLLM(AsyncLLM):
    @property
    def model_name(self) -> str:
        return "my-model"

    @validate_call
    async def agenerate(self, input: ChatType, num_generations: int = 1, **kwargs: Any) -> GenerateOutput:
        for _ in range(num_generations):
            ...

    def get_last_hidden_state(self, inputs: List[ChatType]) -> List[HiddenState]:
        ...
'''


def run_block(code: str, namespace: Dict[str, Any]) -> Any:
    """Execute a block like a script or notebook cell; return the last expression's value."""
    code = textwrap.dedent(code)
    *body, last = code.strip().split("\n\n")
    exec(compile("\n\n".join(body), "<seed>", "exec"), namespace)
    try:
        return eval(compile(last, "<seed>", "eval"), namespace)
    except SyntaxError:
        exec(compile(last, "<seed>", "exec"), namespace)
        return None


def test_standalone_generate(openai_env: OpenAIServer) -> None:
    namespace: Dict[str, Any] = {}
    with pytest.warns(DeprecationWarning, match="distilabel.models.llms"):
        outputs = run_block(STANDALONE_GENERATE, namespace)
    assert outputs[0]["generations"] == ["Echo: What's the capital of Spain?"]
    namespace["llm"].unload()


def test_offline_batch_generation_without_polling(openai_env: OpenAIServer) -> None:
    namespace: Dict[str, Any] = {}
    with pytest.raises(DistilabelOfflineBatchGenerationNotFinishedException) as not_finished:
        run_block(OFFLINE_BATCH, namespace)
    llm = namespace["llm"]
    assert not_finished.value.jobs_ids == llm.jobs_ids
    assert "is not finished" in str(not_finished.value)

    # (4): still running, the same call raises again...
    with pytest.raises(DistilabelOfflineBatchGenerationNotFinishedException):
        run_block(OFFLINE_BATCH_SECOND_CALL, namespace)
    # ...and once the provider finished the job, it returns the outputs.
    openai_env.complete_batches()
    outputs = run_block(OFFLINE_BATCH_SECOND_CALL, namespace)
    assert outputs[0]["generations"] == ["Echo: What's the capital of Spain?"]
    assert len(openai_env.batches()) == 1, "the second call polls the same job"
    llm.unload()


def test_offline_batch_generation_with_polling(openai_env: OpenAIServer) -> None:
    openai_env.configure(batch_auto_complete_after=1)
    namespace: Dict[str, Any] = {}
    outputs = run_block(OFFLINE_BATCH_POLLING, namespace)
    assert outputs[0]["generations"] == ["Echo: What's the capital of Spain?"]
    namespace["llm"].unload()


def test_json_mode(openai_env: OpenAIServer) -> None:
    import json

    openai_env.configure(api_key="api.key")
    # The block elides the inputs with `...` and skips load(); the test fills both in.
    code = JSON_MODE.replace(
        "llm.generate(..., ", 'llm.load()\n\nllm.generate([[{"role": "user", "content": "Reply in JSON."}]], '
    )
    namespace: Dict[str, Any] = {}
    outputs = run_block(code, namespace)
    assert isinstance(json.loads(outputs[0]["generations"][0]), dict)
    assert openai_env.requests("/v1/chat/completions")[-1]["json"]["response_format"] == {"type": "json_object"}
    namespace["llm"].unload()


def test_custom_llm_examples_work_once_the_bodies_are_filled_in() -> None:
    # The block uses `List` without importing it; users add the import.
    code = "from typing import List\n" + CUSTOM_LLMS
    code = code.replace(
        "        for _ in range(num_generations):\n            ...\n\n    def get_last_hidden_state(self, inputs: List[ChatType]) -> List[HiddenState]:\n        ...\n\n\nclass CustomAsyncLLM",
        "        return [\n"
        "            {'generations': [i[-1]['content'].upper() for _ in range(num_generations)],\n"
        "             'statistics': {'input_tokens': [1], 'output_tokens': [1]}}\n"
        "            for i in inputs\n"
        "        ]\n\n"
        "    def get_last_hidden_state(self, inputs: List[ChatType]) -> List[HiddenState]:\n"
        "        return [[[0.0, 1.0]] for _ in inputs]\n\n\nclass CustomAsyncLLM",
    )
    code = code.replace(
        "        for _ in range(num_generations):\n            ...\n",
        "        return {'generations': [input[-1]['content'][::-1] for _ in range(num_generations)],\n"
        "                'statistics': {'input_tokens': [1], 'output_tokens': [1]}}\n",
    )
    namespace: Dict[str, Any] = {}
    with pytest.warns(DeprecationWarning):
        exec(compile(code, "<seed>", "exec"), namespace)

    sync_llm = namespace["CustomLLM"]()
    sync_llm.load()
    [output] = sync_llm.generate_outputs([[{"role": "user", "content": "hola"}]], num_generations=2)
    assert output["generations"] == ["HOLA", "HOLA"]
    assert sync_llm.get_last_hidden_states([[{"role": "user", "content": "x"}]]) == [[[0.0, 1.0]]]

    async_llm = namespace["CustomAsyncLLM"]()
    async_llm.load()
    outputs = async_llm.generate([[{"role": "user", "content": "abc"}], [{"role": "user", "content": "xy"}]])
    assert [o["generations"] for o in outputs] == [["cba"], ["yx"]]
    assert async_llm.model_name == "my-model"
    # `validate_call` coerces and rejects what the annotations say.
    with pytest.raises(Exception, match="num_generations"):
        sync_llm.generate([[{"role": "user", "content": "x"}]], num_generations="two")
    async_llm.unload()
