"""Image generation models through their real SDKs against loopback servers that speak the image APIs.

- `OpenAIImageGeneration`: the `openai` SDK's `images.generate` against
  `tests/servers/openai_server.py` (`POST /v1/images/generations`, URL images served
  from a storage route that refuses API keys).
- `InferenceEndpointsImageGeneration`: `huggingface_hub`'s `AsyncInferenceClient.text_to_image`
  against `tests/servers/tgi_server.py` configured as a text-to-image endpoint.

Every image is a solid-colour PNG whose colour names its prompt (`tests/servers/images.py`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

import pytest

from distilabel.errors import DistilabelUserError
from distilabel.models import InferenceEndpointsImageGeneration, OpenAIImageGeneration
from distilabel.models.image_generation.utils import image_from_str
from distilabel.models.llms import LLM
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import ImageGeneration
from tests.servers.images import prompt_color
from tests.servers.openai_server import OpenAIServer
from tests.servers.tgi_server import TGIServer

pytest.importorskip("PIL.Image")

OPENAI_KEY = "sk-test"
HF_TOKEN = "hf_test_token"


def pixels(output: dict) -> list:
    return [image_from_str(image).getpixel((0, 0)) for image in output["images"]]


def sizes(output: dict) -> list:
    return [image_from_str(image).size for image in output["images"]]


# --- OpenAI -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def openai_images() -> Iterator[OpenAIServer]:
    with OpenAIServer(api_key=OPENAI_KEY) as server:
        yield server


@pytest.fixture
def openai(openai_images: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> OpenAIServer:
    openai_images.reset(clear_state=True)
    openai_images.configure(retry_after="0")
    monkeypatch.setenv("OPENAI_BASE_URL", openai_images.url + "/v1")
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    return openai_images


@pytest.fixture
def make_openai() -> Iterator[Any]:
    made: list = []

    def make(**fields: Any) -> OpenAIImageGeneration:
        model = OpenAIImageGeneration(**{"model": "dall-e-2", **fields})
        model.load()
        made.append(model)
        return model

    yield make
    for model in made:
        model.unload()


def image_requests(server: OpenAIServer) -> list:
    return [r["json"] for r in server.requests("/v1/images/generations")]


def test_openai_url_images_are_downloaded_without_the_key(openai: OpenAIServer, make_openai: Any) -> None:
    model = make_openai()
    [[first], [second]] = model.generate_outputs(["a red kite", "a green frog"], num_generations=2, size="256x256")
    assert pixels(first) == [prompt_color("a red kite", 0), prompt_color("a red kite", 1)]
    assert pixels(second) == [prompt_color("a green frog", 0), prompt_color("a green frog", 1)]
    assert sizes(first) == [(256, 256)] * 2
    # The defaults of distilabel 1.5 go on the wire; parameters left None do not.
    assert sorted(image_requests(openai), key=lambda body: body["prompt"]) == [
        {"model": "dall-e-2", "prompt": p, "n": 2, "quality": "standard", "response_format": "url", "size": "256x256"}
        for p in ("a green frog", "a red kite")
    ]
    # Four downloads from the storage route, which answers 400 to any Authorization header.
    blobs = {p: c for p, c in openai.stats()["by_path_status"].items() if p.startswith("/blob/")}
    assert len(blobs) == 4 and all(counts == {200: 1} for counts in blobs.values())


def test_openai_b64_json_and_dall_e_3_parameters(openai: OpenAIServer, make_openai: Any) -> None:
    model = make_openai(
        model="dall-e-3", generation_kwargs={"size": "1024x1792", "quality": "hd", "style": "vivid"}
    )
    [[output]] = model.generate_outputs(["a tall tower"], response_format="b64_json")
    assert sizes(output) == [(1024, 1792)] and pixels(output) == [prompt_color("a tall tower")]
    [body] = image_requests(openai)
    assert body == {
        "model": "dall-e-3",
        "prompt": "a tall tower",
        "n": 1,
        "quality": "hd",
        "response_format": "b64_json",
        "size": "1024x1792",
        "style": "vivid",
    }
    assert not [path for path in openai.stats()["by_path"] if path.startswith("/blob/")]


def test_openai_gpt_image_models_without_response_format(openai: OpenAIServer, make_openai: Any) -> None:
    model = make_openai(model="gpt-image-1")
    # The API refuses `response_format` for gpt-image models: with 1.5's default the request fails...
    [[refused]] = model.generate_outputs(["a lamp"], quality="low")
    assert refused["images"] == [None] and "Unknown parameter: 'response_format'" in refused["errors"][0]
    # ... and with None it is left out.
    [[output]] = model.generate_outputs(
        ["a lamp"], quality="low", response_format=None, size="1536x1024", background="opaque", output_format="png"
    )
    assert sizes(output) == [(1536, 1024)] and pixels(output) == [prompt_color("a lamp")]
    body = image_requests(openai)[-1]
    assert "response_format" not in body and "style" not in body
    assert (body["quality"], body["background"], body["output_format"]) == ("low", "opaque", "png")


def test_openai_failures_and_retries(openai: OpenAIServer, make_openai: Any) -> None:
    model = make_openai(max_retries=2)
    outputs = model.generate_outputs(
        ["a good one", "a bad one [[status:400]]", "a busy one [[status:503]]", "a wrong size"],
        size="256x256",
    )
    good, bad, busy, _ = (o[0] for o in outputs)
    assert pixels(good) == [prompt_color("a good one")]
    assert bad["images"] == [None] and "BadRequestError (HTTP 400)" in bad["errors"][0]
    assert busy["images"] == [None] and "gave up after 3 attempts" in busy["errors"][0]
    statuses = openai.stats()["by_path_status"]["/v1/images/generations"]
    assert statuses == {200: 2, 400: 1, 503: 3}
    # dall-e-2 has no 1024x1792; the API's message reaches the row.
    [[wrong]] = model.generate_outputs(["a wrong size"], size="1024x1792")
    assert "Invalid 'size'" in wrong["errors"][0] and "256x256, 512x512, 1024x1024" in wrong["errors"][0]


def test_openai_parameters_are_checked_before_sending(openai: OpenAIServer, make_openai: Any) -> None:
    model = make_openai()
    for kwargs, match in (
        ({"response_format": "unknown_format"}, "'url' or 'b64_json'"),
        ({"size": "big"}, "size"),
        ({"quality": "ultra"}, "quality"),
        ({"qualty": "hd"}, "Did you mean 'quality'"),
    ):
        with pytest.raises(DistilabelUserError, match=match):
            model.generate_outputs(["x"], **kwargs)
    # Too many images fail the row before anything is sent.
    [[output]] = model.generate_outputs(["x"], num_generations=11)
    assert output["images"] == [None] * 11 and "less than or equal to 10" in output["errors"][0]
    assert image_requests(openai) == []


def test_openai_credentials(openai: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    model = OpenAIImageGeneration(model="dall-e-2", api_key="sk-wrong")
    model.load()
    try:
        with pytest.raises(DistilabelUserError, match="OPENAI_API_KEY") as raised:
            model.generate_outputs(["x"], size="256x256")
    finally:
        model.unload()
    assert "sk-wrong" not in str(raised.value)
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(DistilabelUserError, match="OPENAI_API_KEY"):
        OpenAIImageGeneration(model="dall-e-2").load()


def test_openai_dump_round_trip_has_no_secret(openai: OpenAIServer) -> None:
    model = OpenAIImageGeneration(model="dall-e-3", generation_kwargs={"size": "1024x1024"}, api_key="sk-secret")
    dump = model.dump()
    assert "api_key" not in dump and "sk-secret" not in json.dumps(dump)
    assert (dump["model"], dump["base_url"], dump["generation_kwargs"]) == ("dall-e-3", openai.url + "/v1", {"size": "1024x1024"})
    again = LLM.from_dict(dump)
    assert isinstance(again, OpenAIImageGeneration) and again.dump() == dump
    assert again.api_key.get_secret_value() == OPENAI_KEY  # from the environment


# --- Inference Endpoints --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tgi_images() -> Iterator[TGIServer]:
    with TGIServer(api_key=HF_TOKEN, text_to_image=True) as server:
        yield server


@pytest.fixture
def tgi(tgi_images: TGIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> TGIServer:
    import huggingface_hub.constants

    # huggingface_hub falls back to the token `hf auth login` saved; tests must not see one.
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_INFERENCE_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    tgi_images.configure(fail_next=0, fail_all_status=429)
    tgi_images.reset()
    return tgi_images


@pytest.fixture
def make_hf() -> Iterator[Any]:
    made: list = []

    def make(**fields: Any) -> InferenceEndpointsImageGeneration:
        model = InferenceEndpointsImageGeneration(**fields)
        model.load()
        made.append(model)
        return model

    yield make
    for model in made:
        model.unload()


def test_hf_text_to_image_on_an_endpoint(tgi: TGIServer, make_hf: Any) -> None:
    model = make_hf(base_url=tgi.url, api_key=HF_TOKEN, generation_kwargs={"width": 24, "height": 16})
    [[first], [second]] = model.generate_outputs(["a pond", "a dune"], negative_prompt="people", guidance_scale=3.5)
    assert sizes(first) == [(24, 16)] and pixels(first) == [prompt_color("a pond")]
    assert pixels(second) == [prompt_color("a dune")]
    assert image_from_str(first["images"][0]).format == "PNG"  # kept lossless, as the server sent it
    bodies = sorted((r["json"] for r in tgi.requests("/")), key=lambda body: body["inputs"])
    assert bodies == [
        {
            "inputs": prompt,
            "parameters": {"negative_prompt": "people", "height": 16, "width": 24, "guidance_scale": 3.5},
        }
        for prompt in ("a dune", "a pond")
    ]


def test_hf_num_generations_fans_out(tgi: TGIServer, make_hf: Any) -> None:
    model = make_hf(base_url=tgi.url, api_key=HF_TOKEN)
    [[output]] = model.generate_outputs(["a field"], num_generations=3, num_inference_steps=4)
    assert len(output["images"]) == 3 and sizes(output) == [(64, 64)] * 3
    records = tgi.requests("/")
    assert [r["json"] for r in records] == [{"inputs": "a field", "parameters": {"num_inference_steps": 4}}] * 3
    # A seed reaches the server (its colour follows the seed).
    [[seeded]] = model.generate_outputs(["a field"], seed=5)
    assert pixels(seeded) == [prompt_color("a field", 5)]


def test_hf_serverless_route_and_token(tgi: TGIServer, make_hf: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_INFERENCE_ENDPOINT", tgi.url)
    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    model = make_hf(model_id="black-forest-labs/FLUX.1-schnell")
    assert model.model_name == "black-forest-labs/FLUX.1-schnell"
    [[output]] = model.generate_outputs(["a castle"])
    assert pixels(output) == [prompt_color("a castle")]
    [record] = tgi.requests()
    assert record["path"] == "/models/black-forest-labs/FLUX.1-schnell"
    # A wrong token stops at once, naming the variable.
    wrong = make_hf(base_url=tgi.url, api_key="hf_wrong")
    with pytest.raises(DistilabelUserError, match="HF_TOKEN"):
        wrong.generate_outputs(["a castle"])


def test_hf_failures_and_retries(tgi: TGIServer, make_hf: Any) -> None:
    model = make_hf(base_url=tgi.url, api_key=HF_TOKEN, max_retries=1)
    tgi.configure(fail_next=1, fail_all_status=503)  # one 503, then healthy: retried
    [[recovered]] = model.generate_outputs(["a mill"])
    assert pixels(recovered) == [prompt_color("a mill")]
    [[refused]] = model.generate_outputs(["a mill [[status:422]]"])
    assert refused["images"] == [None] and "422" in refused["errors"][0]
    with pytest.raises(DistilabelUserError, match="'width'"):
        model.generate_outputs(["a mill"], width=-3)


def test_hf_loads_in_a_fresh_interpreter() -> None:
    # `huggingface_hub.constants` is a submodule the package does not import by itself:
    # loading must not depend on something else having imported it first.
    import subprocess
    import sys

    code = (
        "from distilabel.models import InferenceEndpointsImageGeneration as M;"
        "m = M(base_url='http://127.0.0.1:9'); m.load(); print('loaded', m.model_name)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "loaded http://127.0.0.1:9"


def test_hf_dump_round_trip(tgi: TGIServer) -> None:
    model = InferenceEndpointsImageGeneration(model_id="black-forest-labs/FLUX.1-schnell", api_key=HF_TOKEN)
    dump = model.dump()
    assert "api_key" not in dump and HF_TOKEN not in json.dumps(dump)
    again = LLM.from_dict(dump)
    assert isinstance(again, InferenceEndpointsImageGeneration) and again.dump() == dump
    with pytest.raises(ValueError, match="needs one of `model_id`"):
        InferenceEndpointsImageGeneration()


# --- ImageGeneration end to end ------------------------------------------------------------------------


def test_image_generation_pipeline_on_both_providers(
    openai: OpenAIServer, tgi: TGIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    prompts = [{"prompt": "a quiet harbour"}, {"prompt": "a busy market [[status:400]]"}, {"prompt": "an old map"}]
    with Pipeline(name="image-generation", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=prompts)
        dalle = ImageGeneration(
            name="dalle",
            image_generation_model=OpenAIImageGeneration(model="dall-e-2", generation_kwargs={"size": "256x256"}),
        )
        flux = ImageGeneration(name="flux", image_generation_model=InferenceEndpointsImageGeneration(base_url=tgi.url))
        load >> [dalle, flux]
    distiset = pipeline.run(
        use_cache=False, parameters={"flux": {"image_generation_model": {"generation_kwargs": {"width": 32}}}}
    )
    for name, size in (("dalle", (256, 256)), ("flux", (32, 64))):
        rows = distiset[name]["train"].to_list()
        assert [r["model_name"] for r in rows] == [
            "dall-e-2" if name == "dalle" else tgi.url
        ] * 3
        good = [r for r in rows if r["image"] is not None]
        assert [r["prompt"] for r in good] == ["a quiet harbour", "an old map"]
        assert [image_from_str(r["image"]).size for r in good] == [size, size]
        assert [image_from_str(r["image"]).getpixel((0, 0)) for r in good] == [
            prompt_color("a quiet harbour"),
            prompt_color("an old map"),
        ]
    distiset.transform_columns_to_image("image")
    flux_images = distiset["flux"]["train"]["image"]
    assert flux_images[1] is None and flux_images[0].size == (32, 64)
    failed = distiset["dalle"]["train"].to_list()[1]
    assert failed["image"] is None
