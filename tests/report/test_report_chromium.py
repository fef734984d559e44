"""The run report in a real browser: Debian's headless Chromium, driven by playwright.

The page of a 10 000-row run opens without a server or network, finds rows by a
search term, pages to the last row, shows the failures by reason, and renders
something (a screenshot that is not blank). Skipped when Chromium is missing,
unless ``DISTILABEL_REQUIRE_BROWSER=1`` (CI) makes that a failure.
"""

import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from tests.report.browser import CHROMIUM, launch_chromium
from tests.report.runs import run_pipeline

ROWS = 10_000


def _browser_missing() -> str:
    if not Path(CHROMIUM).exists():
        return "Debian's chromium is not installed (apt-get install chromium; scripts/setup_browser.sh)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install 'distilabel[tests]')"
    return ""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    missing = _browser_missing()
    if missing:
        if os.environ.get("DISTILABEL_REQUIRE_BROWSER") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def report_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = run_pipeline(tmp_path_factory.mktemp("runs"), ROWS)
    path = run_dir / "report.html"
    assert path.exists(), "every run writes its report"
    return path


@pytest.fixture
def page(browser: object, report_path: Path) -> Iterator[object]:
    # The page forbids eval (its CSP); playwright evaluates its waits with it.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)  # type: ignore[attr-defined]
    page = context.new_page()
    requests = []
    errors = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(report_path.as_uri())
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    page.requests, page.errors = requests, errors  # type: ignore[attr-defined]
    yield page
    context.close()


def _matches(page: object) -> int:
    return int(page.get_attribute("#row-count", "data-matches"))  # type: ignore[attr-defined]


def test_the_page_loads_nothing_but_itself(page: object, report_path: Path) -> None:
    assert page.requests == [report_path.as_uri()]  # type: ignore[attr-defined]
    assert page.errors == []  # type: ignore[attr-defined]
    # The row holding "</script>..." stayed data: no element of it, no script of it ran.
    assert page.locator("#injected").count() == 0  # type: ignore[attr-defined]
    assert page.evaluate("window.__broken === undefined")  # type: ignore[attr-defined]
    assert page.inner_text("#run-status") == "finished"  # type: ignore[attr-defined]


def test_search_finds_the_rows_with_the_term(page: object) -> None:
    assert _matches(page) == ROWS
    assert page.inner_text("#row-count") == "Rows 1\u201350 of 10,000"  # type: ignore[attr-defined]
    page.fill("#search", "please fail")  # type: ignore[attr-defined]
    page.wait_for_function("document.getElementById('row-count').dataset.matches === '40'")  # type: ignore[attr-defined]
    assert "matching “please fail”" in page.inner_text("#row-count")  # type: ignore[attr-defined]
    first = page.locator("#rows-table tbody tr").first.inner_text()  # type: ignore[attr-defined]
    assert "question 7 please fail" in first
    # The script breaker is found as the text it is.
    page.fill("#search", "</script>")  # type: ignore[attr-defined]
    page.wait_for_function("document.getElementById('row-count').dataset.matches === '1'")  # type: ignore[attr-defined]
    assert "<b id=\"injected\">x</b>" in page.locator("#rows-table tbody tr").first.inner_text()  # type: ignore[attr-defined]
    page.fill("#search", "")  # type: ignore[attr-defined]
    page.wait_for_function(f"document.getElementById('row-count').dataset.matches === '{ROWS}'")  # type: ignore[attr-defined]


def test_paging_reaches_the_last_row(page: object) -> None:
    assert page.inner_text("#page-info") == "Page 1 of 200"  # type: ignore[attr-defined]
    page.click("#next")  # type: ignore[attr-defined]
    assert page.inner_text("#page-info") == "Page 2 of 200"  # type: ignore[attr-defined]
    assert "question 50\n" in page.locator("#rows-table tbody tr").first.inner_text() + "\n"  # type: ignore[attr-defined]
    page.click("#last")  # type: ignore[attr-defined]
    assert page.inner_text("#page-info") == "Page 200 of 200"  # type: ignore[attr-defined]
    assert page.inner_text("#row-count") == "Rows 9,951\u201310,000 of 10,000"  # type: ignore[attr-defined]
    last = page.locator("#rows-table tbody tr").last  # type: ignore[attr-defined]
    assert last.locator("td").first.inner_text() == "10000"
    assert "question 9999" in last.inner_text()
    assert "Echo: question 9999" in last.inner_text()
    assert page.is_disabled("#next") and page.is_disabled("#last")  # type: ignore[attr-defined]


def test_failures_are_grouped_by_reason_with_examples(page: object) -> None:
    section = page.locator("#failures")  # type: ignore[attr-defined]
    reason = section.locator("details.reason").first
    assert reason.locator(".count").inner_text() == "40"
    assert "BadRequest (HTTP 400)" in reason.locator(".reason-text").inner_text()
    reason.locator("summary").click()
    examples = reason.locator(".example")
    assert examples.count() == 3
    assert "the model refused 'question 7 please fail'" in examples.first.inner_text()


def test_screenshot_is_not_blank(page: object, tmp_path: Path) -> None:
    from PIL import Image, ImageStat

    path = tmp_path / "report.png"
    page.fill("#search", "question 12")  # type: ignore[attr-defined]
    page.wait_for_function("document.getElementById('row-count').dataset.matches !== '10000'")  # type: ignore[attr-defined]
    page.screenshot(path=str(path), full_page=False)  # type: ignore[attr-defined]
    image = Image.open(path).convert("L")
    assert image.size == (1280, 900)
    stat = ImageStat.Stat(image)
    assert stat.stddev[0] > 20, "the screenshot is (nearly) one colour"
    # Dark header, light page: both ends of the range are there.
    low, high = image.getextrema()
    assert low < 60 and high > 230
    if os.environ.get("DISTILABEL_KEEP_SCREENSHOT"):
        shutil.copy(path, os.environ["DISTILABEL_KEEP_SCREENSHOT"])
