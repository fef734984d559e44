"""Text-to-image models behind Hugging Face Inference Endpoints, the serverless Inference
Providers, or any server speaking the Inference API, through ``huggingface_hub``'s
``AsyncInferenceClient.text_to_image``.
"""

from typing import ClassVar, List, Optional

from pydantic import PositiveFloat, PositiveInt, validate_call

from distilabel.models.image_generation.base import AsyncImageGenerationModel, ImageOutput
from distilabel.models.image_generation.utils import image_to_str
from distilabel.models.llms.huggingface.inference_endpoints import InferenceEndpointsLLM
from distilabel.utils.imports import require


class InferenceEndpointsImageGeneration(AsyncImageGenerationModel, InferenceEndpointsLLM):  # type: ignore[misc]
    """A text-to-image model (e.g. FLUX, Stable Diffusion) on Hugging Face.

    Where requests go is configured as for ``InferenceEndpointsLLM``: exactly one of
    ``model_id`` (serverless), ``endpoint_name`` (a dedicated endpoint) or
    ``base_url`` (any server speaking the Inference API), with the ``HF_TOKEN``
    environment variable as the token. The API makes one image per request, so
    ``num_generations`` sends that many requests (give a ``seed`` only with
    ``num_generations=1``, or every request draws the same image). Each image comes
    back as base64 text in the format the server sent it in (PNG, JPEG, ...).
    Needs the ``hf-inference-endpoints`` and ``vision`` extras.

    Attributes:
        model_id: the model on the Hub, e.g. ``"black-forest-labs/FLUX.1-schnell"``.
        endpoint_name: the name of a dedicated Inference Endpoint.
        endpoint_namespace: the user or organisation owning ``endpoint_name``.
        base_url: the URL of an endpoint or server.
        api_key: the Hugging Face token; defaults to ``HF_TOKEN``.

    Examples:
        >>> from distilabel.models.image_generation import InferenceEndpointsImageGeneration
        >>> igm = InferenceEndpointsImageGeneration(model_id="black-forest-labs/FLUX.1-schnell")
        >>> igm.load()
        >>> igm.generate_outputs(inputs=["a white siamese cat"])
        [[{'images': ['/9j/4AAQSkZJRgABAQAAAQABAAD...']}]]
    """

    _num_generations_param_supported: ClassVar[bool] = False

    def load(self) -> None:
        require("PIL.Image", "vision", type(self).__name__)
        super().load()

    @validate_call
    async def agenerate(  # type: ignore[override]
        self,
        input: str,
        negative_prompt: Optional[str] = None,
        height: Optional[PositiveInt] = None,
        width: Optional[PositiveInt] = None,
        num_inference_steps: Optional[PositiveInt] = None,
        guidance_scale: Optional[PositiveFloat] = None,
        num_generations: int = 1,
        seed: Optional[int] = None,
        scheduler: Optional[str] = None,
    ) -> List[ImageOutput]:
        """Make one image for one prompt with ``AsyncInferenceClient.text_to_image``.

        Args:
            input: the prompt to draw.
            negative_prompt: what the image should not show.
            height: the height of the image in pixels.
            width: the width of the image in pixels.
            num_inference_steps: denoising steps: more usually give a better image, slower.
            guidance_scale: how closely the image follows the prompt; higher follows it
                more closely, often at some cost in image quality.
            num_generations: one image per request; more are asked for as more requests.
            seed: the random seed, for a reproducible image.
            scheduler: the name of the diffusion scheduler to use, where the model has several.

        Returns:
            A list with one dict `{"images": [base64 str]}`.
        """
        image = await self.aclient.text_to_image(
            input,
            negative_prompt=negative_prompt,
            height=height,
            width=width,
            num_inference_steps=num_inference_steps,
            guidance_scale=guidance_scale,
            seed=seed,
            scheduler=scheduler,
        )
        # Re-encoded in the format it came in: PNG stays lossless.
        return [{"images": [image_to_str(image, image_format=image.format or "PNG")]}]


__all__ = ["InferenceEndpointsImageGeneration"]
