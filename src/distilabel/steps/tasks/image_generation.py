"""``ImageGeneration``: a prompt in, an image out."""

import hashlib
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from pydantic import Field, PrivateAttr

from distilabel.errors import DistilabelUserError
from distilabel.models.llms.outputs import describe_error
from distilabel.steps.base import DISTILABEL_METADATA_KEY
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import ImageTask

if TYPE_CHECKING:
    from distilabel.typing import GenerateOutput
    from distilabel.typing.steps import StepColumns


class ImageGeneration(ImageTask):
    """Make an image for each prompt with an image generation model.

    The image goes into the ``image`` column as base64 text, which JSON, Arrow and
    datasets hold as it is; ``Distiset.transform_columns_to_image("image")`` turns
    the column into images once the pipeline has run. With ``save_artifacts=True``
    each image is also written as a file among the step's artifacts (in
    ``image_format``), and ``image_path`` says where, relative to the dataset
    repository it is pushed to: ``artifacts/<step name>/images/<md5 of prompt>.<ext>``
    (with ``_<i>`` after the hash for the i-th image when ``num_generations > 1``).

    Attributes:
        save_artifacts: also save each image as a file among the step's artifacts.
            Defaults to `False`.
        image_format: the file format of saved images, any Pillow writes (`"JPEG"`,
            `"PNG"`, `"WEBP"`, ...). Defaults to `"JPEG"`.

    Input columns:
        - prompt (str): what the image should show.

    Output columns:
        - image (str): the image as base64 text (`None` if it failed).
        - image_path (str): where the saved image is; only with `save_artifacts=True`.
        - model_name (str): the model that made it.

    Examples:
        ```python
        from distilabel.models.image_generation import OpenAIImageGeneration
        from distilabel.steps.tasks import ImageGeneration

        task = ImageGeneration(
            image_generation_model=OpenAIImageGeneration(
                model="dall-e-3", generation_kwargs={"size": "1024x1024", "response_format": "b64_json"}
            )
        )
        task.load()
        rows = next(task.process([{"prompt": "a white siamese cat"}]))
        # rows[0]["image"] == "iVBORw0KGgoAAAANSUhEUgAA..."
        ```
    """

    save_artifacts: bool = Field(default=False, description="Also save each image as a file among the artifacts.")
    image_format: str = Field(default="JPEG", description="The file format of saved images (any Pillow writes).")

    _warned_no_folder: bool = PrivateAttr(default=False)

    inputs = column_property(["prompt"])

    @property
    def outputs(self) -> "StepColumns":
        if self.save_artifacts:
            return {"image": True, "image_path": False, "model_name": True}
        return {"image": True, "model_name": True}

    def load(self) -> None:
        if self.save_artifacts:
            # Fail at load, not after paying for the first images, when Pillow cannot save the format.
            _check_image_format(self.image_format)
        super().load()

    def format_input(self, input: Dict[str, Any]) -> str:
        prompt = input.get("prompt")
        if not isinstance(prompt, str):
            raise DistilabelUserError(
                f"Column 'prompt' must hold text (str), got {type(prompt).__name__} {str(prompt)[:100]!r}."
            )
        if not prompt.strip():
            raise DistilabelUserError("Column 'prompt' is empty: there is nothing to draw.")
        return prompt

    def format_output(self, output: Optional[Dict[str, Any]], input: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        images = (output or {}).get("images") or []
        return {"image": images[0] if images else None}

    def _rows_for(self, row: Dict[str, Any], chat: Any, output: "GenerateOutput") -> List[Dict[str, Any]]:
        rows = super()._rows_for(row, chat, output)
        if self.save_artifacts and isinstance(chat, str):
            if self.artifacts_directory is None:
                # Outside a pipeline run there is no artifacts folder: ``image_path`` stays None.
                if not self._warned_no_folder:
                    self._logger.warning("ImageGeneration %r is not running in a pipeline: images are not saved.", self.name)
                    self._warned_no_folder = True
            else:
                self._save_images(rows, chat)
        return rows

    def _save_images(self, rows: List[Dict[str, Any]], prompt: str) -> None:
        """Save the images of one prompt's rows as artifacts and fill in ``image_path``."""
        digest = hashlib.md5(prompt.encode()).hexdigest()  # the file name distilabel 1.5 uses
        extension = self.image_format.lower()
        if self.group_generations:
            for row in rows:
                images, metadata = row["image"], row.get(DISTILABEL_METADATA_KEY) or []
                row["image_path"] = [
                    self._save_image(image, _file_name(digest, j, len(images), extension), _at(metadata, j))
                    for j, image in enumerate(images)
                ]
            return
        for j, row in enumerate(rows):
            name = _file_name(digest, j, len(rows), extension)
            row["image_path"] = self._save_image(row["image"], name, row.get(DISTILABEL_METADATA_KEY))

    def _save_image(self, image: Optional[str], file_name: str, metadata: Any) -> Optional[str]:
        """Save one image; ``None`` (and the reason in its metadata) when it cannot be."""
        if image is None:
            return None
        from distilabel.models.image_generation.utils import image_from_str, save_image

        try:
            picture = image_from_str(image)
            self.save_artifact(  # type: ignore[attr-defined]
                name="images",
                write_function=lambda path: save_image(picture, path / file_name, self.image_format),
                metadata={"type": "image"},
            )
        except Exception as error:
            # The image stays in the row; only its file is missing.
            reason = f"the image could not be saved as {file_name}: {describe_error(error)}"
            self._logger.warning("%s", reason)
            if isinstance(metadata, dict):
                metadata.setdefault(f"error_{self.name}", reason)
            return None
        return f"artifacts/{self.name}/images/{file_name}"


def _at(items: Any, index: int) -> Any:
    return items[index] if isinstance(items, list) and index < len(items) else None


def _file_name(digest: str, index: int, count: int, extension: str) -> str:
    return f"{digest}.{extension}" if count == 1 else f"{digest}_{index}.{extension}"


def _check_image_format(image_format: str) -> None:
    from distilabel.utils.imports import require

    pil = require("PIL.Image", "vision", "ImageGeneration")
    pil.init()  # type: ignore[attr-defined]
    if image_format.upper() not in pil.SAVE:  # type: ignore[attr-defined]
        known = ", ".join(sorted(pil.SAVE))  # type: ignore[attr-defined]
        raise DistilabelUserError(f"Pillow cannot save images as {image_format!r}; it writes: {known}.")


__all__ = ["ImageGeneration"]
