"""MagpieGenerator >> EvolQuality >> TextGeneration against the loopback OpenAI server.

Magpie runs on ClientvLLM with a tokenizer (built on disk by ``tiny_tokenizer``): the
prompts are rendered here, end with the pre-query template, and go to the completions
endpoint; the other tasks use the chat endpoint through OpenAILLM. The server echoes
what it is sent (``Echo: <prompt>``, cut to ``max_tokens`` whitespace tokens), so every
column has a known value.
"""

from pathlib import Path
from typing import Any, Dict, List

from distilabel.models.llms import ClientvLLM, OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.steps.tasks import EvolQuality, MagpieGenerator, TextGeneration
from tests.providers.tiny_tokenizer import make_tiny_tokenizer
from tests.servers.openai_server import OpenAIServer

PRE_QUERY = "<|user|>\n"  # how the tiny tokenizer's chat template opens a user turn


def build(tmp_path: Path, server: OpenAIServer) -> Pipeline:
    tokenizer = make_tiny_tokenizer(tmp_path / "tokenizer")
    with Pipeline(name="instructions-e2e", cache_dir=tmp_path / "cache", enable_metadata=True) as pipeline:
        magpie = MagpieGenerator(
            name="magpie",
            llm=ClientvLLM(
                model="gpt-4o-mini",
                base_url=server.url + "/v1",
                tokenizer=tokenizer,
                magpie_pre_query_template=PRE_QUERY,
                generation_kwargs={"max_new_tokens": 6},
            ),
            num_rows=4,
            batch_size=2,
        )
        evol = EvolQuality(
            name="evol_quality",
            llm=OpenAILLM(model="gpt-4o-mini", generation_kwargs={"max_new_tokens": 8}),
            num_evolutions=1,
        )
        answer = TextGeneration(name="answer", llm=OpenAILLM(model="gpt-4o-mini"))
        magpie >> evol >> answer
    return pipeline


def completion_prompts(server: OpenAIServer) -> List[str]:
    return [request["json"]["prompt"] for request in server.requests("/v1/completions")]


def test_magpie_evol_quality_text_generation(tmp_path: Path, openai_env: OpenAIServer) -> None:
    pipeline = build(tmp_path, openai_env)
    train = pipeline.run()["default"]["train"]
    assert len(train) == 4
    user_turn = "Echo: <|user|>"
    assert train["instruction"] == [user_turn] * 4
    assert train["response"] == ["Echo: <|user|>\nEcho: <|user|>\n<|assistant|>"] * 4
    assert all(model == "gpt-4o-mini" for model in train["model_name"])

    # The same bare pre-query prompt was asked once per row, cache or not: each is a new sample.
    prompts = completion_prompts(openai_env)
    assert prompts.count(PRE_QUERY) == 4
    assert all(p in (PRE_QUERY, "<|user|>\nEcho: <|user|>\n<|assistant|>\n") for p in prompts)

    # EvolQuality rewrote the response once: the server echoed the rewrite prompt, cut to 8 tokens.
    for evolved in train["evolved_response"]:
        assert evolved.startswith("Echo: You rewrite answers.")
        assert len(evolved.split()) == 8
    chats = [r["json"]["messages"][-1]["content"] for r in openai_env.requests("/v1/chat/completions")]
    rewrite = next(c for c in chats if c.startswith("You rewrite answers."))
    assert f"#Given Prompt#:\n{user_turn}\n\n#Given Response#:\n" in rewrite
    assert rewrite.endswith("#Rewritten Response#:")

    # TextGeneration answered the Magpie instruction.
    assert train["generation"] == [f"Echo: {user_turn}"] * 4
    metadata: Dict[str, Any] = train["distilabel_metadata"][0]
    assert set(metadata["statistics_magpie"]) == {"input_tokens", "output_tokens"}
    assert len(metadata["statistics_magpie"]["output_tokens"]) == 2  # the user turn and the answer
    assert set(metadata["statistics_evol_quality"]) == {"input_tokens", "output_tokens"}
    assert metadata["raw_output_answer"] == f"Echo: {user_turn}"


def test_rerun_reuses_every_row(tmp_path: Path, openai_env: OpenAIServer) -> None:
    first = build(tmp_path, openai_env).run()["default"]["train"].to_list()
    sent = openai_env.stats()["total"]
    again = build(tmp_path, openai_env).run()["default"]["train"].to_list()
    assert again == first
    assert openai_env.stats()["total"] == sent  # nothing was asked again
