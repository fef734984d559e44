"""Image tasks on fake models: ImageGeneration, TextGenerationWithImage, the image model base classes,
the image utilities and ``Distiset.transform_columns_to_image``.

The fake image models are real ``AsyncImageGenerationModel`` / ``ImageGenerationModel``
subclasses drawing the same solid-colour PNGs the loopback servers draw
(``tests/servers/images.py``), so every image can be traced back to its prompt by one pixel.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any, ClassVar, List, Optional

import pytest
from pydantic import Field, PrivateAttr, ValidationError, validate_call

from distilabel.errors import DistilabelUserError
from distilabel.models.image_generation import AsyncImageGenerationModel, ImageGenerationModel
from distilabel.models.image_generation.utils import (
    base64_data_url,
    decode_base64_image,
    image_from_str,
    image_to_str,
    media_type_of,
)
from distilabel.models.llms.base import LLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.pipeline import Pipeline
from distilabel.runtime.cache import ResponseCache
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import ImageGeneration, ImageTask, TextGenerationWithImage
from distilabel.typing import ChatType
from tests.servers.images import prompt_color, prompt_png

PIL = pytest.importorskip("PIL.Image")


def b64_png(prompt: str, width: int = 8, height: int = 8, index: int = 0) -> str:
    return base64.b64encode(prompt_png(prompt, width, height, index)).decode()


def pixel(image_str: str) -> Any:
    return image_from_str(image_str).getpixel((0, 0))


class RateLimited(Exception):
    status_code = 429


class Refused(Exception):
    status_code = 400


class FakeImageModel(AsyncImageGenerationModel):
    """Draws one PNG per image; ``fail`` in a prompt is refused (400), ``broken`` answers no image,
    ``busy`` is rate limited on its first try."""

    _calls: List[Any] = PrivateAttr(default_factory=list)

    @property
    def model_name(self) -> str:
        return "fake-painter"

    @validate_call
    async def agenerate(  # type: ignore[override]
        self, input: str, num_generations: int = 1, size: int = 8, seed: Optional[int] = None
    ) -> List[dict]:
        self._calls.append((input, num_generations, size, seed))
        if "fail" in input:
            raise Refused(f"the model refused {input!r}")
        if "busy" in input and sum(call[0] == input for call in self._calls) == 1:
            raise RateLimited("slow down")
        if "broken" in input:
            return [{"images": []}]
        offset = len(self._calls) if not self._num_generations_param_supported else 0
        return [{"images": [b64_png(input, size, size, offset + i) for i in range(num_generations)]}]


class OneImagePerRequestModel(FakeImageModel):
    """An API without ``n``: every request draws one image (in a new colour)."""

    _num_generations_param_supported: ClassVar[bool] = False


class FakeSyncImageModel(ImageGenerationModel):
    """A blocking image model; answers a dict alone (not 1.5's one-dict list)."""

    @property
    def model_name(self) -> str:
        return "fake-sync-painter"

    def generate(self, inputs: List[str], num_generations: int = 1, size: int = 4) -> List[Any]:  # type: ignore[override]
        return [{"images": [b64_png(p, size, size, i) for i in range(num_generations)]} for p in inputs]


class VisionLLM(LLM):
    """A chat LLM that describes what it was shown; ``None`` answers for prompts containing ``silent``."""

    answers: List[Optional[str]] = Field(default_factory=list)
    _sent: List[Any] = PrivateAttr(default_factory=list)

    @property
    def model_name(self) -> str:
        return "fake-vision"

    def generate(self, inputs: List[Any], num_generations: int = 1) -> List[Any]:
        outputs = []
        for chat in inputs:
            self._sent.append(chat)
            parts = chat[-1]["content"]
            text = next(p["text"] for p in parts if p["type"] == "text")
            url = next(p["image_url"]["url"] for p in parts if p["type"] == "image_url")
            answer = None if "silent" in text else f"{text} -> {url[:22]}"
            outputs.append(prepare_output([answer] * num_generations, [5], [3]))
        return outputs


def run(task: Any, rows: List[dict]) -> List[dict]:
    task.load()
    try:
        return next(task.process([dict(r) for r in rows]))
    finally:
        task.unload()


# --- utilities -----------------------------------------------------------------------------------


def test_image_round_trip_and_media_types() -> None:
    picture = PIL.new("RGB", (5, 3), (10, 20, 30))
    text = image_to_str(picture, "PNG")
    back = image_from_str(text)
    assert (back.size, back.format, back.getpixel((4, 2))) == ((5, 3), "PNG", (10, 20, 30))
    # JPEG cannot hold transparency: converted to RGB instead of failing.
    jpeg = image_from_str(image_to_str(PIL.new("RGBA", (4, 4), (255, 0, 0, 128)), "JPEG"))
    assert (jpeg.format, jpeg.mode) == ("JPEG", "RGB")
    assert media_type_of(decode_base64_image(text)) == "image/png"
    assert media_type_of(decode_base64_image(image_to_str(picture, "JPEG"))) == "image/jpeg"
    assert media_type_of(decode_base64_image(image_to_str(picture, "GIF"))) == "image/gif"
    assert media_type_of(decode_base64_image(image_to_str(picture, "WEBP"))) == "image/webp"
    assert media_type_of(b"not an image") is None
    # data: URLs decode too, and base64 wrapped at 76 columns.
    assert image_from_str("data:image/png;base64," + text).size == (5, 3)
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    assert decode_base64_image(wrapped) == decode_base64_image(text)


def test_base64_data_url_reads_the_type_from_the_bytes() -> None:
    png = b64_png("x")
    jpeg = image_to_str(PIL.new("RGB", (2, 2)), "JPEG")
    assert base64_data_url(png) == f"data:image/png;base64,{png}"
    assert base64_data_url(jpeg) == f"data:image/jpeg;base64,{jpeg}"
    assert base64_data_url(base64.b64encode(b"????").decode()) == "data:image/jpeg;base64,Pz8/Pw=="
    assert base64_data_url("data:image/webp;base64,AAAA") == "data:image/webp;base64,AAAA"


def test_bad_image_text_fails_clearly() -> None:
    with pytest.raises(DistilabelUserError, match="not base64"):
        image_from_str("this is not base64!")
    with pytest.raises(DistilabelUserError, match="not an image Pillow can read"):
        image_from_str(base64.b64encode(b"plain bytes").decode())
    with pytest.raises(DistilabelUserError, match="base64 text was expected, got int"):
        decode_base64_image(3)  # type: ignore[arg-type]


def test_chat_type_accepts_multimodal_content() -> None:
    from pydantic import TypeAdapter

    chat = [
        {"role": "system", "content": "Describe images."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            ],
        },
    ]
    assert TypeAdapter(ChatType).validate_python(chat) == chat
    with pytest.raises(ValidationError):
        TypeAdapter(ChatType).validate_python([{"role": "user", "content": [{"type": "image_url"}]}])


# --- the base classes ------------------------------------------------------------------------------


def test_async_model_outputs_follow_1_5_shape() -> None:
    model = FakeImageModel(generation_kwargs={"size": 6})
    model.load()
    try:
        outputs = model.generate_outputs(["a red fox", "a blue whale"], num_generations=2)
    finally:
        model.unload()
    assert [len(o) for o in outputs] == [1, 1]
    for prompt, [output] in zip(["a red fox", "a blue whale"], outputs, strict=True):
        assert set(output) == {"images"}
        assert [pixel(i) for i in output["images"]] == [prompt_color(prompt, 0), prompt_color(prompt, 1)]
        assert image_from_str(output["images"][0]).size == (6, 6)
    assert sorted(model._calls) == [("a blue whale", 2, 6, None), ("a red fox", 2, 6, None)]


def test_failures_become_none_images_with_reasons() -> None:
    model = FakeImageModel(max_retries=2)
    model.load()
    try:
        [[refused], [broken], [busy]] = model.generate_outputs(["please fail", "broken brush", "busy day"])
    finally:
        model.unload()
    assert refused["images"] == [None] and "Refused (HTTP 400): the model refused 'please fail'" in refused["errors"][0]
    assert broken == {"images": [None], "errors": ["the model returned 0 of the 1 images asked for"]}
    # A 429 is retried; the second try answers.
    assert pixel(busy["images"][0]) == prompt_color("busy day") and "errors" not in busy
    stats = model.request_stats()
    assert (stats["retries"], stats["failed_inputs"]) == (1, 1)


def test_one_image_per_request_fans_out() -> None:
    model = OneImagePerRequestModel()
    model.load()
    try:
        [[output]] = model.generate_outputs(["three cats"], num_generations=3)
    finally:
        model.unload()
    assert [call[:2] for call in model._calls] == [("three cats", 1)] * 3
    assert len(output["images"]) == 3 and len({pixel(i) for i in output["images"]}) == 3


def test_generation_kwargs_and_prompts_are_checked() -> None:
    with pytest.raises(ValidationError, match="Unknown generation kwarg 'siez'.*Did you mean 'size'"):
        FakeImageModel(generation_kwargs={"siez": 3})
    model = FakeImageModel()
    model.load()
    try:
        with pytest.raises(DistilabelUserError, match="'size'"):
            model.generate_outputs(["a cat"], size="big")
        with pytest.raises(DistilabelUserError, match="text prompts; got list"):
            model.generate_outputs([[{"role": "user", "content": "a cat"}]])  # type: ignore[list-item]
        with pytest.raises(DistilabelUserError, match="empty prompt"):
            model.generate_outputs(["  "])
        # String values from the CLI / YAML are coerced.
        [[output]] = model.generate_outputs(["a cat"], size="3")
    finally:
        model.unload()
    assert image_from_str(output["images"][0]).size == (3, 3)
    assert [p.name for p in model.generate_parameters] == ["size", "seed"]


def test_response_cache_answers_repeated_prompts(tmp_path: Path) -> None:
    cache = ResponseCache.in_directory(tmp_path)
    model = FakeImageModel().use_cache(cache)
    model.load()
    try:
        first = model.generate_outputs(["a cached cat", "please fail"])
        second = model.generate_outputs(["a cached cat", "please fail"])
    finally:
        model.unload()
        cache.close()
    assert second[0] == first[0]
    # The failed prompt is not cached: it is sent again.
    assert [call[0] for call in model._calls].count("a cached cat") == 1
    assert [call[0] for call in model._calls].count("please fail") == 2
    assert model.request_stats()["cache_hits"] == 1


def test_sync_model_and_its_dump_round_trip() -> None:
    model = FakeSyncImageModel(generation_kwargs={"size": 2})
    [[output]] = model.generate_outputs(["a moth"], num_generations=2)
    assert [pixel(i) for i in output["images"]] == [prompt_color("a moth", 0), prompt_color("a moth", 1)]
    dump = model.dump()
    assert dump["type_info"] == {"module": __name__, "name": "FakeSyncImageModel"}
    again = ImageGenerationModel.from_dict(dump, allowed_modules=[__name__])
    assert isinstance(again, FakeSyncImageModel) and again.generation_kwargs == {"size": 2}


# --- ImageGeneration ---------------------------------------------------------------------------------


def test_image_generation_columns_and_values() -> None:
    task = ImageGeneration(name="painter", image_generation_model=FakeImageModel())
    assert task.inputs == ["prompt"]
    assert task.outputs == {"image": True, "model_name": True}
    assert task.format_input({"prompt": "a white siamese cat"}) == "a white siamese cat"
    rows = run(task, [{"prompt": "a white siamese cat"}, {"prompt": "an orange tabby"}])
    assert [set(r) for r in rows] == [{"prompt", "image", "model_name", "distilabel_metadata"}] * 2
    for row in rows:
        assert row["model_name"] == "fake-painter"
        assert pixel(row["image"]) == prompt_color(row["prompt"])
        meta = row["distilabel_metadata"]
        assert meta["raw_input_painter"] == row["prompt"]
        assert meta["raw_output_painter"] == {"images": [row["image"]]}
        assert "error_painter" not in meta


def test_image_generation_failures_keep_none_and_the_reason() -> None:
    task = ImageGeneration(name="painter", image_generation_model=FakeImageModel(max_retries=0))
    rows = run(
        task,
        [{"prompt": "please fail"}, {"prompt": "broken brush"}, {"prompt": 42}, {"prompt": "   "}, {"prompt": "fine"}],
    )
    assert [r["image"] is None for r in rows] == [True, True, True, True, False]
    errors = [r["distilabel_metadata"].get("error_painter") for r in rows]
    assert "the model refused 'please fail'" in errors[0]
    assert errors[1] == "the model returned 0 of the 1 images asked for"
    assert "format_input failed" in errors[2] and "must hold text (str), got int" in errors[2]
    assert "is empty" in errors[3]
    assert errors[4] is None
    assert rows[0]["distilabel_metadata"]["raw_output_painter"] is None
    # The failed inputs were never sent.
    assert sorted(call[0] for call in task.image_generation_model._calls) == ["broken brush", "fine", "please fail"]


def test_image_generation_many_images_per_prompt() -> None:
    rows = run(ImageGeneration(image_generation_model=FakeImageModel(), num_generations=2), [{"prompt": "twins"}])
    assert [pixel(r["image"]) for r in rows] == [prompt_color("twins", 0), prompt_color("twins", 1)]
    [grouped] = run(
        ImageGeneration(image_generation_model=FakeImageModel(), num_generations=2, group_generations=True),
        [{"prompt": "twins"}],
    )
    assert [pixel(i) for i in grouped["image"]] == [prompt_color("twins", 0), prompt_color("twins", 1)]
    assert [m["raw_output_image_generation_0"] for m in grouped["distilabel_metadata"]] == [
        {"images": [image]} for image in grouped["image"]
    ]


def test_image_task_takes_an_image_model_not_an_llm() -> None:
    with pytest.raises(ValidationError, match="image_generation_model=...`, not `llm=..."):
        ImageGeneration(llm=FakeImageModel())
    with pytest.raises(ValidationError, match="ImageGenerationModel"):
        ImageGeneration(image_generation_model=VisionLLM())
    task = ImageGeneration(image_generation_model=FakeImageModel())
    assert isinstance(task, ImageTask) and task.llm is task.image_generation_model


def test_image_generation_dump_round_trip() -> None:
    task = ImageGeneration(
        name="painter", image_generation_model=FakeImageModel(generation_kwargs={"size": 5}), image_format="PNG"
    )
    dump = json.loads(json.dumps(task.dump()))
    assert "llm" not in dump and dump["image_generation_model"]["generation_kwargs"] == {"size": 5}
    assert (dump["save_artifacts"], dump["image_format"]) == (False, "PNG")
    again = ImageGeneration.from_dict(dump, allowed_modules=[__name__])
    assert isinstance(again.image_generation_model, FakeImageModel) and again.llm is again.image_generation_model
    assert again.dump() == dump
    # distilabel 1.5 dumps carry the model under `llm` as well.
    legacy = {**dump, "llm": dump["image_generation_model"]}
    assert ImageGeneration.from_dict(legacy, allowed_modules=[__name__]).dump() == dump
    [row] = run(again, [{"prompt": "reloaded"}])
    assert image_from_str(row["image"]).size == (5, 5)


def test_image_generation_in_a_pipeline(tmp_path: Path) -> None:
    with Pipeline(name="images", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"prompt": "a lighthouse"}, {"prompt": "please fail"}, {"prompt": "a barn"}])
        paint = ImageGeneration(
            name="paint", image_generation_model=FakeSyncImageModel(), input_batch_size=2
        )
        load >> paint
    distiset = pipeline.run(use_cache=False, parameters={"paint": {"image_generation_model": {"generation_kwargs": {"size": 3}}}})
    rows = distiset["default"]["train"].to_list()
    assert [r["prompt"] for r in rows] == ["a lighthouse", "please fail", "a barn"]
    assert all(image_from_str(r["image"]).size == (3, 3) for r in rows)
    distiset.transform_columns_to_image("image")
    images = distiset["default"]["train"]["image"]
    assert [image.getpixel((0, 0)) for image in images] == [prompt_color(r["prompt"]) for r in rows]
    # The pipeline's dump loads back with the image model inside.
    again = Pipeline.from_dict(json.loads(json.dumps(pipeline.dump())), allowed_modules=[__name__])
    step = again.dag.get("paint")
    assert isinstance(step, ImageGeneration) and isinstance(step.image_generation_model, FakeSyncImageModel)


def test_image_generation_saves_artifacts(tmp_path: Path) -> None:
    import hashlib

    with Pipeline(name="artifacts", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"prompt": "a kite"}, {"prompt": "please fail"}])
        paint = ImageGeneration(
            name="paint", image_generation_model=FakeImageModel(max_retries=0), save_artifacts=True, image_format="PNG"
        )
        load >> paint
    assert paint.outputs == {"image": True, "image_path": False, "model_name": True}
    distiset = pipeline.run(use_cache=False)
    kite, failed = distiset["default"]["train"].to_list()
    digest = hashlib.md5(b"a kite").hexdigest()
    assert kite["image_path"] == f"artifacts/paint/images/{digest}.png"
    assert failed["image_path"] is None and failed["image"] is None
    files = list(tmp_path.rglob(f"{digest}.png"))
    assert len(files) == 1 and files[0].parent.name == "images" and files[0].parent.parent.name == "paint"
    saved = PIL.open(files[0])
    assert (saved.format, saved.getpixel((0, 0))) == ("PNG", prompt_color("a kite"))
    assert json.loads((files[0].parent / "metadata.json").read_text()) == {"type": "image"}


def test_save_artifacts_outside_a_pipeline_saves_nothing(caplog: pytest.LogCaptureFixture) -> None:
    task = ImageGeneration(name="alone", image_generation_model=FakeImageModel(), save_artifacts=True)
    rows = run(task, [{"prompt": "a kite"}, {"prompt": "a boat"}])
    assert [r["image_path"] for r in rows] == [None, None]
    assert all(pixel(r["image"]) == prompt_color(r["prompt"]) for r in rows)
    assert sum("not running in a pipeline" in m for m in caplog.messages) == 1


def test_unknown_image_format_fails_at_load() -> None:
    task = ImageGeneration(image_generation_model=FakeImageModel(), save_artifacts=True, image_format="NOPE")
    with pytest.raises(DistilabelUserError, match="cannot save images as 'NOPE'"):
        task.load()


# --- TextGenerationWithImage -----------------------------------------------------------------------


def test_text_generation_with_image_columns_and_message() -> None:
    llm = VisionLLM()
    task = TextGenerationWithImage(name="look", llm=llm, system_prompt="Be brief.")
    assert task.inputs == {"instruction": True, "system_prompt": False, "image": True}
    assert task.outputs == ["generation", "model_name"]
    [row] = run(task, [{"instruction": "What is it?", "image": "https://example.com/cat.png"}])
    assert llm._sent[0] == [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is it?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
            ],
        },
    ]
    assert row["generation"] == "What is it? -> https://example.com/ca"
    assert row["model_name"] == "fake-vision"
    assert row["distilabel_metadata"]["raw_input_look"] == llm._sent[0]


def test_text_generation_with_image_types() -> None:
    png = b64_png("seen")
    picture = PIL.new("RGB", (4, 4), (1, 2, 3))
    transparent = PIL.new("RGBA", (4, 4), (1, 2, 3, 4))
    urls = {}
    for image_type, image in (("base64", png), ("PIL", picture), ("PIL", transparent)):
        llm = VisionLLM()
        run(TextGenerationWithImage(llm=llm, image_type=image_type), [{"instruction": "Hm?", "image": image}])
        urls[(image_type, getattr(image, "mode", "b64"))] = llm._sent[0][-1]["content"][1]["image_url"]["url"]
    assert urls[("base64", "b64")] == f"data:image/png;base64,{png}"
    jpeg_url = urls[("PIL", "RGB")]
    assert jpeg_url.startswith("data:image/jpeg;base64,")
    assert image_from_str(jpeg_url).size == (4, 4)
    png_url = urls[("PIL", "RGBA")]
    assert png_url.startswith("data:image/png;base64,")
    assert image_from_str(png_url).getpixel((0, 0)) == (1, 2, 3, 4)


def test_text_generation_with_image_template_columns() -> None:
    llm = VisionLLM()
    task = TextGenerationWithImage(
        llm=llm, template="Describe the {{ thing }} for a {{ reader }}.", columns=["thing", "reader"]
    )
    assert task.inputs == {"thing": True, "reader": True, "system_prompt": False, "image": True}
    run(task, [{"thing": "bridge", "reader": "child", "image": "data:image/png;base64," + b64_png("b")}])
    assert llm._sent[0][-1]["content"][0] == {"type": "text", "text": "Describe the bridge for a child."}


def test_text_generation_with_image_bad_rows_and_answers() -> None:
    llm = VisionLLM()
    task = TextGenerationWithImage(name="look", llm=llm)
    rows = run(
        task,
        [
            {"instruction": "No image", "image": None},
            {"instruction": "Wrong type", "image": PIL.new("RGB", (2, 2))},
            {"instruction": "Not a URL", "image": b64_png("x")},
            {"instruction": "stay silent", "image": "https://example.com/a.jpg"},
        ],
    )
    errors = [r["distilabel_metadata"].get("error_look") for r in rows]
    assert "is None" in errors[0]
    assert "got Image" in errors[1] and "image_type='PIL'" in errors[1]
    assert "not an http(s) or data: URL" in errors[2] and "image_type='base64'" in errors[2]
    # No answer: generation None, and the raw output says so.
    assert rows[3]["generation"] is None and rows[3]["distilabel_metadata"]["raw_output_look"] is None
    assert [r["generation"] for r in rows] == [None] * 4
    assert len(llm._sent) == 1  # only the well-formed row was sent
    base64_task = TextGenerationWithImage(name="look", llm=VisionLLM(), image_type="base64")
    [bad] = run(base64_task, [{"instruction": "x", "image": "*** not base64 ***"}])
    assert "not base64-encoded image data" in bad["distilabel_metadata"]["error_look"]
    pil_task = TextGenerationWithImage(name="look", llm=VisionLLM(), image_type="PIL")
    [bad] = run(pil_task, [{"instruction": "x", "image": "https://example.com/a.jpg"}])
    assert "must hold a PIL.Image.Image" in bad["distilabel_metadata"]["error_look"]


def test_text_generation_with_image_dump_round_trip() -> None:
    task = TextGenerationWithImage(name="look", llm=VisionLLM(), image_type="base64", system_prompt="Hi")
    dump = json.loads(json.dumps(task.dump()))
    assert (dump["image_type"], dump["system_prompt"]) == ("base64", "Hi")
    again = TextGenerationWithImage.from_dict(dump, allowed_modules=[__name__])
    assert again.dump() == dump
    with pytest.raises(ValidationError, match="image_type"):
        TextGenerationWithImage(llm=VisionLLM(), image_type="jpeg")


def test_text_generation_with_image_in_a_pipeline(tmp_path: Path) -> None:
    data = [{"instruction": f"Q{i}", "image": "data:image/png;base64," + b64_png(str(i))} for i in range(3)]
    with Pipeline(name="vision", cache_dir=tmp_path) as pipeline:
        look = TextGenerationWithImage(name="look", llm=VisionLLM())
        LoadDataFromDicts(data=data) >> look
    rows = pipeline.run(use_cache=False)["default"]["train"].to_list()
    assert [r["generation"] for r in rows] == [f"Q{i} -> data:image/png;base64," for i in range(3)]


# --- Distiset.transform_columns_to_image -------------------------------------------------------------


def test_transform_columns_to_image() -> None:
    from datasets import Dataset, DatasetDict

    from distilabel.distiset import Distiset

    first, second = b64_png("one"), b64_png("two", 3, 2)
    distiset = Distiset(
        default=DatasetDict(
            train=Dataset.from_list(
                [
                    {"image": first, "grouped": [first, second], "other": "a"},
                    {"image": None, "grouped": [None, second], "other": "b"},
                ]
            )
        ),
        plain=Dataset.from_list([{"image": second}]),
    )
    assert distiset.transform_columns_to_image(["image", "grouped"]) is distiset
    train = distiset["default"]["train"]
    assert type(train.features["image"]).__name__ == "Image"
    assert train[0]["image"].getpixel((0, 0)) == prompt_color("one")
    assert train[1]["image"] is None and train[0]["other"] == "a"
    assert [i.size for i in train[0]["grouped"]] == [(8, 8), (3, 2)]
    assert train[1]["grouped"][0] is None
    # The bytes are kept as they were (no re-encoding).
    assert train.with_format("arrow")["image"][0]["bytes"].as_py() == base64.b64decode(first)
    assert distiset["plain"][0]["image"].size == (3, 2)
    # Twice is harmless; an unknown column is an error.
    distiset.transform_columns_to_image("image")
    with pytest.raises(DistilabelUserError, match=r"\['picture'\]"):
        distiset.transform_columns_to_image("picture")


def test_transform_rejects_text_that_is_no_image() -> None:
    from datasets import Dataset, DatasetDict

    from distilabel.distiset import Distiset

    distiset = Distiset(default=DatasetDict(train=Dataset.from_list([{"image": "not an image"}])))
    with pytest.raises(DistilabelUserError, match="not base64-encoded image data"):
        distiset.transform_columns_to_image("image")


def test_saved_image_column_reads_back(tmp_path: Path) -> None:
    from datasets import Dataset, DatasetDict

    from distilabel.distiset import Distiset

    distiset = Distiset(default=DatasetDict(train=Dataset.from_list([{"image": b64_png("kept")}])))
    distiset.transform_columns_to_image("image").save_to_disk(tmp_path / "saved")
    loaded = Distiset.load_from_disk(tmp_path / "saved")
    picture = loaded["default"]["train"][0]["image"]
    assert picture.getpixel((0, 0)) == prompt_color("kept")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
