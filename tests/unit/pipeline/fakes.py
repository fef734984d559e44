"""Small LLMs for engine tests: real ``AsyncLLM`` / ``LLM`` subclasses, no network."""

import asyncio
import threading
from typing import Any, Callable, List, Optional

from pydantic import PrivateAttr, validate_call

from distilabel.models.llms.base import LLM, AsyncLLM
from distilabel.models.llms.outputs import prepare_output


def last_text(input: Any) -> str:
    chat = input[0] if isinstance(input, tuple) else input
    return chat[-1]["content"]


class EchoAsyncLLM(AsyncLLM):
    """Answers ``Echo: <prompt>``; prompts containing ``fail`` get a 400-like error."""

    delay: float = 0.0
    _hook: Optional[Callable[[str], Any]] = PrivateAttr(default=None)

    @property
    def model_name(self) -> str:
        return "echo-async"

    @validate_call
    async def agenerate(self, input: Any, num_generations: int = 1, temperature: float = 1.0) -> Any:
        text = last_text(input)
        if self._hook is not None:
            await self._hook(text)
        if self.delay:
            await asyncio.sleep(self.delay)
        if "fail" in text:
            raise BadRequest(f"the model refused {text!r}")
        return prepare_output(
            [f"Echo: {text}" + (f" [{i}]" if i else "") for i in range(num_generations)], [len(text)], [3]
        )


class BadRequest(Exception):
    status_code = 400


class EchoSyncLLM(LLM):
    """A blocking LLM answering ``Sync: <prompt>``; records the threads it ran on."""

    _threads: List[str] = PrivateAttr(default_factory=list)

    @property
    def model_name(self) -> str:
        return "echo-sync"

    def generate(self, inputs: List[Any], num_generations: int = 1, top_k: int = 1) -> List[Any]:
        self._threads.append(threading.current_thread().name)
        return [prepare_output([f"Sync: {last_text(i)}"] * num_generations, [1], [1]) for i in inputs]
