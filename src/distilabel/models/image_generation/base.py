"""The base classes of image generation models: ``ImageGenerationModel`` (sync) and
``AsyncImageGenerationModel`` (async, one prompt per request).

They are LLMs in everything but their output: the same lifecycle (``load()`` /
``unload()``), serialization, runtime parameters, generation-kwarg validation and,
for the async one, the same retries, rate limits, concurrency limit, circuit
breaker and response cache as ``AsyncLLM``. What differs is what comes back: for
each prompt, a list with one dict ``{"images": [base64 str, ...]}`` (the shape
distilabel 1.5 returns), where a generation that failed is ``None`` in ``images``
and its reason is in ``errors``.
"""

import asyncio
from abc import abstractmethod
from typing import Any, Dict, List, Optional, Sequence

from distilabel.errors import DistilabelUserError
from distilabel.models.llms.base import LLM, AsyncLLM

ImageOutput = Dict[str, Any]
"""``{"images": [str | None, ...], "errors"?: [str | None, ...]}``: the images made for one prompt."""


class ImageGenerationModel(LLM):
    """Base class for models that make images from text prompts, a batch at a time.

    Subclasses implement ``model_name``, ``load()`` (calling ``super().load()``) and
    ``generate``; the keyword arguments of ``generate`` other than ``inputs`` and
    ``num_generations`` are the model's generation kwargs, checked like an LLM's.

    Attributes:
        generation_kwargs: default keyword arguments for ``generate`` / ``agenerate``,
            e.g. ``{"size": "1024x1024"}``; a runtime parameter.
    """

    @abstractmethod
    def generate(self, inputs: List[str], num_generations: int = 1, **kwargs: Any) -> List[List[ImageOutput]]:  # type: ignore[override]
        """Make ``num_generations`` images for each prompt.

        Args:
            inputs: the prompts.
            num_generations: how many images to make per prompt.

        Returns:
            For each prompt, a list with one dict ``{"images": [base64 str, ...]}``.
        """

    def generate_outputs(  # type: ignore[override]
        self, inputs: List[str], num_generations: int = 1, **kwargs: Any
    ) -> List[List[ImageOutput]]:
        """Make images for ``inputs``; ``generation_kwargs`` are the defaults ``kwargs`` override.

        Args:
            inputs: the prompts, as text.
            num_generations: how many images to make per prompt.
            **kwargs: generation kwargs, see ``generate`` / ``agenerate``.

        Returns:
            For each prompt, a list with one dict ``{"images": [base64 str | None, ...]}``,
            with ``"errors"`` giving the reason of each ``None``.

        Raises:
            DistilabelUserError: a prompt is not text, or a generation kwarg is unknown or
                has the wrong type.
        """
        for prompt in inputs:
            check_prompt(prompt, type(self).__name__)
        kwargs = self.validate_generation_kwargs({**(self.generation_kwargs or {}), **kwargs})
        outputs = self.generate(inputs=inputs, num_generations=num_generations, **kwargs)
        return [[normalize_image_output(output, num_generations)] for output in outputs]


class AsyncImageGenerationModel(ImageGenerationModel, AsyncLLM):
    """Base class for image generation APIs, one prompt per request.

    Subclasses implement ``agenerate(input, num_generations, **kwargs)`` returning
    ``[{"images": [base64 str, ...]}]`` (a dict alone is accepted too). ``generate``
    sends the prompts concurrently, at most ``max_concurrent_requests`` in flight,
    with the retries, rate limits and circuit breaker of ``AsyncLLM``. A model whose
    API makes one image per request sets ``_num_generations_param_supported = False``:
    ``num_generations`` then becomes that many requests. A request that fails after
    its retries gives ``None`` images with the reason in ``errors``.

    Attributes:
        generation_kwargs: default keyword arguments for ``agenerate``; a runtime parameter.
        max_retries: retries of a request that hit a rate limit, server error or timeout.
        timeout: seconds to wait for one response.
        max_concurrent_requests: the most requests in flight at once.
        requests_per_minute: the most requests per minute; ``None`` for no limit.
        tokens_per_minute: accepted for symmetry with LLMs; image APIs report no tokens.
        circuit_breaker_seconds: stop once nearly every request failed for this long.
    """

    @abstractmethod
    async def agenerate(  # type: ignore[override]
        self, input: str, num_generations: int = 1, **kwargs: Any
    ) -> List[ImageOutput]:
        """Make ``num_generations`` images for one prompt.

        Returns:
            A list with one dict ``{"images": [base64 str, ...]}``.
        """

    def generate(  # type: ignore[override]
        self, inputs: List[str], num_generations: int = 1, **kwargs: Any
    ) -> List[List[ImageOutput]]:
        """Make images for every prompt concurrently; the outputs are in input order."""
        return AsyncLLM.generate(self, inputs, num_generations, **kwargs)  # type: ignore[arg-type,return-value]

    async def agenerate_row(  # type: ignore[override]
        self, input: str, num_generations: int = 1, **kwargs: Any
    ) -> List[ImageOutput]:
        """Make the images of one prompt with everything shared around ``agenerate``.

        Answers from the response cache when one is attached (storing new complete
        outputs in it), applies the limits and retries, fans ``num_generations`` out
        into requests when the API makes one image per request, and turns a failed
        request into ``None`` images with the reason in ``errors``. ``kwargs`` must
        already be validated.
        """
        check_prompt(input, type(self).__name__)
        state = self._state
        cache, key = state.cache, None
        if cache is not None:
            key = self._cache_key(input, num_generations, kwargs)
            cached = cache.get(key)
            if cached is not None:
                state.stats.cache_hits += 1
                return [cached]
            state.stats.cache_misses += 1
        if self._num_generations_param_supported or num_generations == 1:
            parts = [await self._agenerate_limited(input, num_generations, kwargs)]
        else:
            parts = list(
                await asyncio.gather(*(self._agenerate_limited(input, 1, kwargs) for _ in range(num_generations)))
            )
        output = merge_image_outputs(parts, num_generations)
        if cache is not None and key is not None and _complete(output):
            cache.put(key, output)
        return [output]


def check_prompt(prompt: Any, owner: str) -> str:
    """``prompt`` if it is a non-empty text prompt, else a clear error."""
    if not isinstance(prompt, str):
        raise DistilabelUserError(
            f"{owner} makes images from text prompts; got {type(prompt).__name__} {str(prompt)[:100]!r}."
        )
    if not prompt.strip():
        raise DistilabelUserError(f"{owner} got an empty prompt: there is nothing to draw.")
    return prompt


def normalize_image_output(output: Any, num_generations: int) -> ImageOutput:
    """One prompt's output as ``{"images": [...], "errors"?: [...]}``, ``num_generations`` long.

    Accepts what a model returns: a dict, a list with one dict (1.5's shape), or a
    failed request's ``GenerateOutput`` (``None`` generations with ``errors``). Missing
    images are ``None`` with the reason in ``errors``.
    """
    if isinstance(output, list) and len(output) == 1:
        output = output[0]
    if not isinstance(output, dict):
        return _failed(num_generations, f"the model returned {type(output).__name__}, not {{'images': [...]}}")
    if "images" not in output and "generations" in output:
        # A request that failed in the shared retry path (``failed_output``).
        reasons = list(output.get("errors") or [])
        reason = next((r for r in reasons if r), "the request failed")
        return _failed(num_generations, reason)
    images = list(output.get("images") or [])
    errors = list(output.get("errors") or [None] * len(images))
    errors += [None] * (len(images) - len(errors))
    for i, image in enumerate(images):
        if image is not None and (not isinstance(image, str) or not image):
            images[i] = None
            errors[i] = errors[i] or f"the model returned {type(image).__name__} instead of base64 image text"
        elif image is None:
            errors[i] = errors[i] or "the model returned no image"
    if len(images) < num_generations:
        missing = num_generations - len(images)
        reason = f"the model returned {len(images)} of the {num_generations} images asked for"
        images += [None] * missing
        errors += [reason] * missing
    result: ImageOutput = {"images": images}
    if any(error is not None for error in errors):
        result["errors"] = errors
    return result


def merge_image_outputs(parts: Sequence[Any], num_generations: int) -> ImageOutput:
    """The outputs of the requests made for one prompt, as one output."""
    if len(parts) == 1:
        return normalize_image_output(parts[0], num_generations)
    images: List[Optional[str]] = []
    errors: List[Optional[str]] = []
    for part in parts:
        normalized = normalize_image_output(part, 1)
        # One image per request: extra images of a request are dropped, as asked for.
        images.append(normalized["images"][0])
        errors.append((normalized.get("errors") or [None])[0])
    result: ImageOutput = {"images": images}
    if any(error is not None for error in errors):
        result["errors"] = errors
    return result


def as_task_output(output: Any, num_generations: int) -> Dict[str, Any]:
    """One prompt's image output in the shape tasks build rows from (like a ``GenerateOutput``).

    ``generations`` holds one ``{"images": [image]}`` dict per image (``None`` for an
    image that failed), so ``format_output`` sees each image as its own generation;
    ``errors`` gives the reasons. A ``GenerateOutput`` (a batch that failed as a
    whole) is returned as it is.
    """
    if isinstance(output, dict) and "generations" in output:
        return output
    normalized = normalize_image_output(output, num_generations)
    result: Dict[str, Any] = {
        "generations": [{"images": [image]} if image is not None else None for image in normalized["images"]],
        "statistics": {},
    }
    if normalized.get("errors"):
        result["errors"] = normalized["errors"]
    return result


def _failed(num_generations: int, reason: str) -> ImageOutput:
    return {"images": [None] * num_generations, "errors": [reason] * num_generations}


def _complete(output: ImageOutput) -> bool:
    images = output.get("images") or []
    return bool(images) and not output.get("errors") and all(image is not None for image in images)


__all__ = [
    "AsyncImageGenerationModel",
    "ImageGenerationModel",
    "ImageOutput",
    "as_task_output",
    "check_prompt",
    "merge_image_outputs",
    "normalize_image_output",
]
