"""Make the README's pictures from a real run: docs/images/progress.png and docs/images/report.png.

    .venv/bin/python scripts/screenshots.py [--out docs/images]

It runs a small pipeline (1 200 rows, two chained tasks) against the loopback OpenAI
server of the tests (``tests/servers``: 127.0.0.1 only, 40 ms of latency, a few 429s
and some prompts it refuses), records the terminal's progress table half-way
through with ``rich`` (``Console(record=True).export_svg()``), and photographs that
SVG and the run's ``report.html`` with Debian's headless Chromium (playwright).
"""

import argparse
import io
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.report.browser import launch_chromium  # noqa: E402

WIDTH = 100
ROWS = 1200


def _recording_display(frames: dict) -> Any:
    """A live display that also keeps, as SVG, the first frame where the second task is about half done."""
    from rich.console import Console

    from distilabel.pipeline.progress_display import LiveDisplay, rich_table

    class RecordingDisplay(LiveDisplay):
        def update(self) -> None:
            super().update()
            snapshots = self.snapshots.take()
            last = snapshots[-1]
            if "svg" not in frames and last.percent is not None and last.percent >= 35:
                console = Console(record=True, width=WIDTH, file=io.StringIO(), force_terminal=True)
                console.print(f"Run folder: {self.progress.run_dir}", highlight=False)
                console.print(rich_table(snapshots, self.progress.elapsed, WIDTH))
                frames["svg"] = console.export_svg(title="python make_dataset.py")

    return RecordingDisplay


def run_demo(cache_dir: Path, frames: dict) -> Path:
    from distilabel.models.llms import OpenAILLM
    from distilabel.pipeline import Pipeline, progress_display
    from distilabel.steps import LoadDataFromDicts
    from distilabel.steps.tasks import TextGeneration
    from tests.servers.openai_server import OpenAIServer

    display = _recording_display(frames)
    progress_display.choose_display = lambda progress, interval=None: display(progress)  # type: ignore[assignment]
    topics = ["tides", "volcanoes", "bread", "comets", "bees", "glaciers", "tea", "coral reefs"]
    data = []
    for i in range(ROWS):
        text = f"Write a short fact about {topics[i % len(topics)]} (#{i})."
        if i % 97 == 13:
            text += " [[status:400]]"  # the server refuses these: failed rows, grouped in the report
        data.append({"instruction": text})
    key = "sk-screenshots"
    with OpenAIServer(api_key=key, latency=0.04, fault_rate=0.01, fault_statuses=(429,)) as server:
        with Pipeline(name="facts", cache_dir=cache_dir) as pipeline:
            load = LoadDataFromDicts(data=data, batch_size=100)
            llm = dict(model="gpt-4o-mini", base_url=server.url + "/v1", api_key=key, max_concurrent_requests=32)
            facts = TextGeneration(name="write_facts", llm=OpenAILLM(**llm))
            check = TextGeneration(
                name="rewrite_facts", llm=OpenAILLM(**llm), input_mappings={"instruction": "generation"}
            )
            load >> facts >> check
        pipeline.run(use_cache=False)
    return pipeline.run_dir


def screenshot(url: str, path: Path, width: int, height: Optional[int] = None, selector: Optional[str] = None) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": width, "height": height or 800}, device_scale_factor=1)
        page.goto(url)
        if selector:
            page.wait_for_selector(selector)
            page.locator(selector).screenshot(path=str(path))
        else:
            page.wait_for_selector("body[data-ready='1']")
            page.fill("#search", "fact about bees")
            page.wait_for_timeout(400)
            page.screenshot(path=str(path), full_page=False)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    frames: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        run_dir = run_demo(Path(folder), frames)
        if "svg" not in frames:
            raise SystemExit("the run ended before a frame was recorded")
        # Inline in a page, so the element's own box is what is photographed.
        page = Path(folder) / "progress.html"
        page.write_text(f"<!DOCTYPE html><body style='margin:0;background:#fff'>{frames['svg']}</body>", encoding="utf-8")
        screenshot(page.as_uri(), args.out / "progress.png", width=1000, selector="svg")
        screenshot((run_dir / "report.html").as_uri(), args.out / "report.png", width=1280, height=900)
    print(args.out / "progress.png")
    print(args.out / "report.png")


if __name__ == "__main__":
    main()
