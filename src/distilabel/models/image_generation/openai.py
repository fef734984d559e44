"""OpenAI's image models (DALL·E, gpt-image) through the official ``openai`` SDK's images API."""

import base64
import os
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Literal, Optional

from pydantic import Field, SecretStr, validate_call
from typing_extensions import Annotated

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.image_generation.base import AsyncImageGenerationModel, ImageOutput
from distilabel.models.llms.outputs import describe_error
from distilabel.models.llms.provider import MODEL_FIELD_NAME
from distilabel.utils.imports import require

if TYPE_CHECKING:
    from openai import AsyncOpenAI

_OPENAI_API_KEY_ENV_VAR_NAME = "OPENAI_API_KEY"
_OPENAI_BASE_URL_ENV_VAR_NAME = "OPENAI_BASE_URL"
_DEFAULT_BASE_URL = "https://api.openai.com/v1"


class OpenAIImageGeneration(AsyncImageGenerationModel):
    """OpenAI's image generation models, or any server speaking OpenAI's images API.

    Each prompt is one ``images.generate`` request with ``n = num_generations``; the
    images come back as base64 text. With ``response_format="url"`` (the default, as
    in distilabel 1.5) the images are downloaded from the URLs the API answers
    (without the API key); ``"b64_json"`` saves that download. Parameters left
    ``None`` are not sent, so ``quality=None, response_format=None`` suits models
    such as ``gpt-image-1`` that refuse them.

    Attributes:
        model: the model name, e.g. ``"dall-e-3"``.
        base_url: the API's base URL; defaults to ``OPENAI_BASE_URL`` or OpenAI's.
        api_key: the API key; defaults to the ``OPENAI_API_KEY`` environment variable.
        default_headers: headers sent with every request.
        max_retries: retries of a request that hit a rate limit, server error or timeout.
        timeout: seconds to wait for a response (and for each image download).

    Examples:
        >>> from distilabel.models.image_generation import OpenAIImageGeneration
        >>> igm = OpenAIImageGeneration(model="dall-e-3", generation_kwargs={"size": "1024x1024"})
        >>> igm.load()
        >>> igm.generate_outputs(inputs=["a white siamese cat"])
        [[{'images': ['iVBORw0KGgoAAAANSUhEUgA...']}]]
    """

    model: str
    base_url: Optional[RuntimeParameter[str]] = Field(
        default_factory=lambda: os.getenv(_OPENAI_BASE_URL_ENV_VAR_NAME, _DEFAULT_BASE_URL),
        description="The base URL to use for the OpenAI API requests.",
    )
    api_key: Optional[RuntimeParameter[SecretStr]] = Field(
        default_factory=lambda: os.getenv(_OPENAI_API_KEY_ENV_VAR_NAME),
        description="The API key to authenticate the requests to the OpenAI API.",
    )
    default_headers: Optional[RuntimeParameter[Dict[str, str]]] = Field(
        default=None,
        description="The default headers to use for the OpenAI API requests.",
    )

    _api_key_env_var: ClassVar[Optional[str]] = _OPENAI_API_KEY_ENV_VAR_NAME

    model_name = MODEL_FIELD_NAME

    def load(self) -> None:
        require("openai", "openai", type(self).__name__)
        self._require_api_key()
        super().load()

    def _create_async_client(self) -> "AsyncOpenAI":
        import openai

        try:
            http_client = openai.DefaultAioHttpClient()
        except RuntimeError:  # openai installed without its aiohttp extra
            http_client = None
        return openai.AsyncOpenAI(
            api_key=self._require_api_key(),
            base_url=self.base_url,
            default_headers=self.default_headers,
            max_retries=0,  # the shared retry policy of AsyncLLM retries instead
            timeout=self.timeout,
            http_client=http_client,
        )

    @validate_call
    async def agenerate(  # type: ignore[override]
        self,
        input: str,
        num_generations: Annotated[int, Field(ge=1, le=10)] = 1,
        quality: Optional[Literal["standard", "hd", "low", "medium", "high", "auto"]] = "standard",
        response_format: Optional[Literal["url", "b64_json"]] = "url",
        size: Optional[Annotated[str, Field(pattern=r"^(\d+x\d+|auto)$")]] = None,
        style: Optional[Literal["vivid", "natural"]] = None,
        output_format: Optional[Literal["png", "jpeg", "webp"]] = None,
        output_compression: Optional[Annotated[int, Field(ge=0, le=100)]] = None,
        background: Optional[Literal["transparent", "opaque", "auto"]] = None,
        extra_body: Optional[Dict[str, Any]] = None,
    ) -> List[ImageOutput]:
        """Make ``num_generations`` images for one prompt.

        Args:
            input: the description of the image; at most 1000 characters for
                `dall-e-2`, 4000 for `dall-e-3`.
            num_generations: how many images to make (OpenAI's `n`), 1 to 10; `dall-e-3`
                makes only one.
            quality: `"standard"` or `"hd"` for DALL·E 3; `"low"`, `"medium"`, `"high"`
                or `"auto"` for gpt-image models; `None` to not send it. Defaults to
                `"standard"`.
            response_format: `"url"` (downloaded here) or `"b64_json"`; `None` to not send
                it (gpt-image models always answer base64). Defaults to `"url"`.
            size: `"WIDTHxHEIGHT"`, e.g. `"1024x1024"` (`256x256`, `512x512` or
                `1024x1024` for `dall-e-2`; `1024x1024`, `1792x1024` or `1024x1792` for
                `dall-e-3`), or `"auto"`.
            style: DALL·E 3 only: `"vivid"` (dramatic) or `"natural"`.
            output_format: gpt-image models only: `"png"`, `"jpeg"` or `"webp"`.
            output_compression: gpt-image models only: compression of jpeg/webp, 0-100.
            background: gpt-image models only: `"transparent"`, `"opaque"` or `"auto"`.
            extra_body: extra fields sent as-is in the request body (e.g. `moderation`).

        Returns:
            A list with one dict `{"images": [base64 str, ...]}`.
        """
        options = {
            "quality": quality,
            "response_format": response_format,
            "size": size,
            "style": style,
            "output_format": output_format,
            "output_compression": output_compression,
            "background": background,
        }
        response = await self.aclient.images.generate(
            model=self.model,
            prompt=input,
            n=num_generations,
            **{name: value for name, value in options.items() if value is not None},
            extra_body=extra_body,
        )
        images: List[Optional[str]] = []
        errors: List[Optional[str]] = []
        urls = [(i, item.url) for i, item in enumerate(response.data or []) if not item.b64_json and item.url]
        downloaded = await self._download(urls) if urls else {}
        for i, item in enumerate(response.data or []):
            if item.b64_json:
                images.append(item.b64_json)
                errors.append(None)
            elif i in downloaded:
                image, error = downloaded[i]
                images.append(image)
                errors.append(error)
            else:
                images.append(None)
                errors.append("the API answered an image with neither `b64_json` nor `url`")
        output: ImageOutput = {"images": images}
        if any(errors):
            output["errors"] = errors
        return [output]

    async def _download(self, urls: List[Any]) -> Dict[int, Any]:
        """The images at ``urls`` as base64 text: ``{index: (image, None) | (None, reason)}``.

        A failed download fails only its image: the images were made (and paid for),
        so the request is not sent again.
        """
        import asyncio

        import aiohttp

        async def fetch(session: "aiohttp.ClientSession", url: str) -> Any:
            try:
                async with session.get(url) as answer:
                    answer.raise_for_status()
                    return base64.b64encode(await answer.read()).decode("ascii"), None
            except Exception as error:
                return None, f"could not download the image at {url[:200]}: {describe_error(error)}"

        # No API key goes with these requests: the URLs point at a storage service.
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as session:
            results = await asyncio.gather(*(fetch(session, url) for _, url in urls))
        return {index: result for (index, _), result in zip(urls, results, strict=True)}


__all__ = ["OpenAIImageGeneration"]
