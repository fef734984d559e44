"""The run report: one self-contained HTML page in the run folder, readable offline.

Every run writes ``report.html`` beside ``summary.json`` when it ends (finished,
failed, interrupted or stopped); ``distilabel pipeline report RUN_FOLDER`` writes it
again. The page needs no server and loads nothing: its styles, its script and its
data are inside it. It shows

- the run: status, what to do next, elapsed time, requests, tokens, cost, cache;
- one line per step: rows, reused rows, failed rows, seconds, tokens, requests, cost;
- the failed rows grouped by reason, each reason with a few example rows;
- the rows of the leaf steps (the datasets), in a table with a search box and pages.

The rows are embedded as JSON in a ``<script type="application/json">`` element
whose ``<``, ``>`` and ``&`` are escaped, so no value can end the element early,
and the script puts every value into the page as text, never as markup. At most
``MAX_ROWS`` rows are embedded and each value is cut at ``MAX_CELL_CHARS``; the page
says when that happened. The pipeline's configuration is shown redacted.
"""

import html
import itertools
import json
import logging
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from distilabel.pipeline.progress import error_reason
from distilabel.pipeline.progress_display import format_cost, format_duration
from distilabel.pipeline.row_store import RowStore
from distilabel.utils.secrets import redact, redact_known

logger = logging.getLogger("distilabel.pipeline")

REPORT_FILE = "report.html"
MAX_ROWS = 50_000
MAX_CELL_CHARS = 2_000
EXAMPLES_PER_REASON = 3
# Rows read per step when looking for examples of its failures.
MAX_ROWS_SCANNED = 200_000
_METADATA = "distilabel_metadata"
# A larger pipeline.yaml (a generator's data inlined) is not shown: parsing it would hold up the run's end.
MAX_PIPELINE_BYTES = 1_000_000


def write_report(run_dir: Path, output: Optional[Path] = None) -> Optional[Path]:
    """Write the report of the run in ``run_dir``; on any error log a warning and return ``None``.

    A run never fails because its report could not be written.
    """
    try:
        return write_report_or_raise(run_dir, output)
    except Exception as error:
        logger.warning("Could not write the run report: %s", error)
        return None


def write_report_or_raise(run_dir: Path, output: Optional[Path] = None) -> Path:
    """Write the report of the run in ``run_dir`` (default ``run_dir/report.html``) and return its path."""
    run_dir = Path(run_dir)
    path = Path(output) if output is not None else run_dir / REPORT_FILE
    page = build_report(run_dir)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(path)
    return path


# --- reading the run folder -----------------------------------------------------------------------


def _read_json(path: Path) -> Dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _read_pipeline(run_dir: Path) -> Tuple[Dict[str, Any], str]:
    """The pipeline's dump (redacted again, to be sure) and the same as YAML text."""
    path = run_dir / "pipeline.yaml"
    try:
        if not path.exists() or path.stat().st_size > MAX_PIPELINE_BYTES:
            return {}, ""
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
    except Exception:
        return {}, ""
    if not isinstance(data, dict):
        return {}, ""
    data = redact(data)
    return data, yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _step_names(run_dir: Path, summary: Dict[str, Any]) -> List[str]:
    names = list((summary.get("steps") or {}).keys())
    steps_dir = run_dir / "steps"
    if steps_dir.is_dir():
        names += sorted(p.name for p in steps_dir.iterdir() if p.is_dir() and p.name not in names)
    return names


def _leaves(run_dir: Path, summary: Dict[str, Any], pipeline: Dict[str, Any]) -> List[str]:
    leaves = list((summary.get("leaves") or {}).keys())
    if leaves:
        return leaves
    connections = ((pipeline.get("pipeline") or {}).get("connections")) or []
    feeding = {c.get("from") for c in connections if c.get("to")}
    names = [c.get("from") for c in connections if c.get("from")]
    return [name for name in names if name not in feeding] or _step_names(run_dir, summary)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > MAX_CELL_CHARS:
        text = text[:MAX_CELL_CHARS] + "…"
    return text


def _row_table(directory: Path, limit: int) -> Dict[str, Any]:
    """The first ``limit`` rows of a step (in input order when all of them fit) as columns and cells."""
    records = list(itertools.islice(RowStore.read(directory), limit + 1))
    complete = len(records) <= limit
    records = records[:limit]
    total = len(records) if complete else sum(1 for _ in RowStore.read(directory))
    records.sort(key=lambda record: record[0])
    columns: List[str] = []
    seen = set()
    for _, row in records:
        for key in row:
            if key not in seen:
                seen.add(key)
                columns.append(key)
    # The metadata (raw outputs, statistics, errors) last: the columns a person reads first.
    if _METADATA in seen:
        columns.remove(_METADATA)
        columns.append(_METADATA)
    rows = [[_cell(row.get(column)) for column in columns] for _, row in records]
    return {"columns": columns, "rows": rows, "total": total, "embedded": len(rows)}


def _row_errors(row: Dict[str, Any], step: str) -> Iterator[str]:
    metadata = row.get(_METADATA)
    entries = metadata if isinstance(metadata, list) else [metadata]
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        error = entry.get(f"error_{step}")
        for one in error if isinstance(error, list) else [error]:
            if one:
                yield str(one)


def _failures(run_dir: Path, step: str, reasons: Dict[str, int]) -> List[Dict[str, Any]]:
    """The failures of ``step`` by reason, most frequent first, each with a few example rows."""
    examples: Dict[str, List[Dict[str, str]]] = {}
    counted: Dict[str, int] = {}
    wanted = dict(reasons)
    for _, row in itertools.islice(RowStore.read(run_dir / "steps" / step), MAX_ROWS_SCANNED):
        for error in _row_errors(row, step):
            reason = error_reason(error)
            counted[reason] = counted.get(reason, 0) + 1
            found = examples.setdefault(reason, [])
            if len(found) < EXAMPLES_PER_REASON:
                shown = {k: v for k, v in row.items() if k != _METADATA}
                found.append({"error": _cell(error), "row": _cell(shown)})
        if wanted and all(len(examples.get(reason, [])) >= EXAMPLES_PER_REASON for reason in wanted):
            break
    merged = dict(counted)
    merged.update(wanted)  # the summary counted every row; the scan may have stopped early
    groups = [
        {"reason": reason, "count": count, "examples": examples.get(reason, [])}
        for reason, count in merged.items()
        if count
    ]
    groups.sort(key=lambda group: -group["count"])
    return groups


# --- the page ---------------------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape(redact_known(str(value)), quote=True)


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else ("" if value is None else str(value))


def _embed_json(data: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``</script>``, no ``<!--``."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _cost(entry: Dict[str, Any]) -> str:
    cost = entry.get("cost_usd")
    return "unknown" if cost is None else format_cost(cost)


def _summary_section(summary: Dict[str, Any], run_dir: Path) -> str:
    totals = summary.get("totals") or {}
    status = summary.get("status") or "unknown"
    items = [
        ("Status", f"<span class='status status-{_e(status)}' id='run-status'>{_e(status)}</span>"),
        ("Elapsed", _e(format_duration(summary.get("elapsed_seconds")))),
        ("Requests", _e(_number(totals.get("requests", 0)))),
        ("Retries", _e(_number(totals.get("retries", 0)))),
        ("Cache hits", _e(_number(totals.get("cache_hits", 0)))),
        ("Failed rows", _e(_number(totals.get("failed_rows", 0)))),
        ("Tokens in / out", f"{_e(_number(totals.get('input_tokens', 0)))} / {_e(_number(totals.get('output_tokens', 0)))}"),
    ]
    if "cost_usd" in totals:
        items.append(("Cost", _e(_cost(totals))))
    cards = "".join(f"<div class='card'><div class='label'>{label}</div><div class='value'>{value}</div></div>"
                    for label, value in items)
    message = summary.get("message")
    note = f"<pre class='message'>{_e(message)}</pre>" if message else ""
    cache = summary.get("cache")
    cache_line = ""
    if isinstance(cache, dict) and cache:
        cache_line = "<p class='muted'>Response cache: " + ", ".join(
            f"{_e(k)} {_e(_number(v))}" for k, v in cache.items()
        ) + "</p>"
    return f"<section id='summary'><div class='cards'>{cards}</div>{note}{cache_line}</section>"


def _steps_section(summary: Dict[str, Any], names: List[str]) -> str:
    steps = summary.get("steps") or {}
    with_cost = any("cost_usd" in (entry or {}) for entry in steps.values())
    head = ["Step", "Rows", "Reused", "Failed", "Seconds", "Tokens in", "Tokens out", "Requests", "Retries",
            "Cache hits"] + (["Cost"] if with_cost else [])
    rows = []
    for name in names:
        entry = steps.get(name) or {}
        llm = entry.get("llm") or {}
        cells = [
            name,
            _number(entry.get("rows")),
            _number(entry.get("resumed_rows") or 0),
            _number(entry.get("failed") or 0),
            f"{entry['seconds']:.1f}" if isinstance(entry.get("seconds"), (int, float)) else "",
            _number(entry.get("input_tokens") or 0),
            _number(entry.get("output_tokens") or 0),
            _number(llm.get("requests")) if llm else "",
            _number(llm.get("retries")) if llm else "",
            _number(llm.get("cache_hits")) if llm else "",
        ]
        if with_cost:
            cells.append(_cost(entry) if llm else "")
        failed_class = " class='bad'" if entry.get("failed") else ""
        tds = "".join(f"<td{failed_class if i == 3 else ''}>{_e(c)}</td>" for i, c in enumerate(cells))
        rows.append(f"<tr>{tds}</tr>")
    ths = "".join(f"<th>{_e(h)}</th>" for h in head)
    return (f"<section id='steps'><h2>Steps</h2><table class='grid'><thead><tr>{ths}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></section>")


def _failures_section(run_dir: Path, summary: Dict[str, Any], names: List[str]) -> str:
    steps = summary.get("steps") or {}
    parts = []
    for name in names:
        entry = steps.get(name) or {}
        reasons = entry.get("errors") or {}
        if not reasons and not entry.get("failed"):
            continue
        groups = _failures(run_dir, name, reasons)
        if not groups:
            continue
        blocks = []
        for group in groups:
            examples = "".join(
                f"<div class='example'><div class='error'>{_e(example['error'])}</div>"
                f"<pre class='row'>{_e(example['row'])}</pre></div>"
                for example in group["examples"]
            )
            blocks.append(
                f"<details class='reason'><summary><span class='count'>{_e(_number(group['count']))}</span>"
                f" <span class='reason-text'>{_e(group['reason'])}</span></summary>{examples}</details>"
            )
        parts.append(f"<div class='failed-step'><h3>{_e(name)}</h3>{''.join(blocks)}</div>")
    body = "".join(parts) if parts else "<p class='muted'>No row failed.</p>"
    return f"<section id='failures'><h2>Failures by reason</h2>{body}</section>"


def _rows_section(tables: List[Dict[str, Any]]) -> str:
    notes = []
    for table in tables:
        if table["embedded"] < table["total"]:
            notes.append(
                f"{_e(table['name'])}: the first {_e(_number(table['embedded']))} of"
                f" {_e(_number(table['total']))} rows are in this page (at most {_number(MAX_ROWS)})."
            )
    notes.append(f"Values longer than {_number(MAX_CELL_CHARS)} characters are cut.")
    note = "".join(f"<p class='muted note'>{n}</p>" for n in notes)
    return f"""<section id="rows"><h2>Rows</h2>
<div class="controls">
  <label>Dataset <select id="leaf"></select></label>
  <input id="search" type="search" placeholder="Search the rows" autocomplete="off" aria-label="Search the rows">
  <span id="row-count" class="muted"></span>
</div>
<div class="table-wrap"><table class="grid rows" id="rows-table"><thead></thead><tbody></tbody></table></div>
<div class="pager">
  <button id="first" type="button">&laquo; First</button>
  <button id="prev" type="button">&lsaquo; Previous</button>
  <span id="page-info"></span>
  <button id="next" type="button">Next &rsaquo;</button>
  <button id="last" type="button">Last &raquo;</button>
</div>{note}</section>"""


_STYLE = """
:root { color-scheme: light; --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --bg: #f7f8fa; --accent: #3b5bdb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       background: var(--bg); }
header { background: #1d2330; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 20px; font-weight: 600; }
header .folder { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; color: #c8cfdc; word-break: break-all; }
main { padding: 8px 28px 40px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
h2 { font-size: 16px; margin: 0 0 12px; } h3 { font-size: 14px; margin: 12px 0 6px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.card .label { color: var(--muted); font-size: 12px; } .card .value { font-size: 18px; font-weight: 600; }
.status { padding: 1px 8px; border-radius: 10px; font-size: 14px; background: #fff4e5; color: #8a4b00; }
.status-finished { background: #e6f6ec; color: #146c2e; } .status-failed { background: #fdecec; color: #a4161a; }
.message { white-space: pre-wrap; background: #fff8e6; border: 1px solid #f3dca2; padding: 10px; border-radius: 6px; }
.muted { color: var(--muted); } .note { margin: 6px 0 0; font-size: 12px; }
table.grid { border-collapse: collapse; width: 100%; }
table.grid th, table.grid td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left;
                               vertical-align: top; }
table.grid th { background: #f2f4f7; font-weight: 600; position: sticky; top: 0; }
td.bad { color: #a4161a; font-weight: 600; }
.reason summary { cursor: pointer; padding: 4px 0; }
.reason .count { display: inline-block; min-width: 44px; font-weight: 600; color: #a4161a; }
.example { border-left: 3px solid #f1b0b0; margin: 6px 0 10px 12px; padding-left: 10px; }
.example .error { font-family: ui-monospace, Menlo, monospace; font-size: 12px; white-space: pre-wrap; }
.example .row { margin: 4px 0 0; font-size: 12px; color: var(--muted); white-space: pre-wrap; word-break: break-all; }
.controls { display: flex; gap: 12px; align-items: center; margin-bottom: 10px; flex-wrap: wrap; }
#search { flex: 1; min-width: 220px; padding: 6px 10px; border: 1px solid #cfd4dc; border-radius: 6px; font: inherit; }
select { font: inherit; padding: 4px; }
.table-wrap { overflow: auto; max-height: 70vh; border: 1px solid var(--line); border-radius: 6px; }
table.rows td div { max-height: 7.5em; overflow: auto; white-space: pre-wrap; word-break: break-word; max-width: 48em; }
table.rows td.key { color: var(--muted); font-variant-numeric: tabular-nums; }
.pager { display: flex; gap: 8px; align-items: center; margin-top: 10px; }
.pager button { padding: 4px 10px; border: 1px solid #cfd4dc; background: #fff; border-radius: 6px; cursor: pointer; }
.pager button:disabled { opacity: .4; cursor: default; }
pre.config { max-height: 420px; overflow: auto; background: #f7f8fa; padding: 10px; font-size: 12px; }
"""

_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var PAGE = 50;
  var state = { leaf: 0, query: "", page: 0, matches: null };
  var texts = [];
  var leafSelect = document.getElementById("leaf");
  var search = document.getElementById("search");
  var thead = document.querySelector("#rows-table thead");
  var tbody = document.querySelector("#rows-table tbody");
  data.leaves.forEach(function (leaf, i) {
    var option = document.createElement("option");
    option.value = String(i);
    option.textContent = leaf.name + " (" + leaf.total.toLocaleString("en-US") + " rows)";
    leafSelect.appendChild(option);
  });
  function leaf() { return data.leaves[state.leaf] || { columns: [], rows: [], total: 0 }; }
  function rowText(i) {
    if (texts[i] === undefined) { texts[i] = leaf().rows[i].join("\\u0001").toLowerCase(); }
    return texts[i];
  }
  function computeMatches() {
    var rows = leaf().rows, q = state.query.toLowerCase();
    if (!q) { state.matches = null; return; }
    var found = [];
    for (var i = 0; i < rows.length; i++) { if (rowText(i).indexOf(q) !== -1) { found.push(i); } }
    state.matches = found;
  }
  function count() { return state.matches === null ? leaf().rows.length : state.matches.length; }
  function pages() { return Math.max(1, Math.ceil(count() / PAGE)); }
  function renderHead() {
    thead.textContent = "";
    var tr = document.createElement("tr");
    ["#"].concat(leaf().columns).forEach(function (name) {
      var th = document.createElement("th"); th.textContent = name; tr.appendChild(th);
    });
    thead.appendChild(tr);
  }
  function render() {
    var n = count(), p = Math.min(state.page, pages() - 1);
    state.page = p;
    var start = p * PAGE, end = Math.min(n, start + PAGE), rows = leaf().rows;
    tbody.textContent = "";
    for (var j = start; j < end; j++) {
      var index = state.matches === null ? j : state.matches[j];
      var tr = document.createElement("tr");
      var key = document.createElement("td"); key.className = "key"; key.textContent = String(index + 1);
      tr.appendChild(key);
      rows[index].forEach(function (value) {
        var td = document.createElement("td"), div = document.createElement("div");
        div.textContent = value; td.appendChild(div); tr.appendChild(td);
      });
      tbody.appendChild(tr);
    }
    var shown = n === 0 ? "No rows" : "Rows " + (start + 1).toLocaleString("en-US") + "\\u2013" +
      end.toLocaleString("en-US") + " of " + n.toLocaleString("en-US");
    document.getElementById("row-count").textContent =
      shown + (state.query ? " matching \\u201c" + state.query + "\\u201d" : "");
    document.getElementById("row-count").setAttribute("data-matches", String(n));
    document.getElementById("page-info").textContent = "Page " + (p + 1) + " of " + pages();
    document.getElementById("first").disabled = document.getElementById("prev").disabled = p === 0;
    document.getElementById("next").disabled = document.getElementById("last").disabled = p >= pages() - 1;
  }
  var timer = null;
  search.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.query = search.value; state.page = 0; computeMatches(); render(); }, 120);
  });
  leafSelect.addEventListener("change", function () {
    state.leaf = Number(leafSelect.value); state.page = 0; texts = []; computeMatches(); renderHead(); render();
  });
  document.getElementById("first").addEventListener("click", function () { state.page = 0; render(); });
  document.getElementById("prev").addEventListener("click", function () { state.page -= 1; render(); });
  document.getElementById("next").addEventListener("click", function () { state.page += 1; render(); });
  document.getElementById("last").addEventListener("click", function () { state.page = pages() - 1; render(); });
  renderHead();
  render();
  document.body.setAttribute("data-ready", "1");
})();
"""


def build_report(run_dir: Path) -> str:
    """The report page of the run in ``run_dir``, as HTML text."""
    run_dir = Path(run_dir)
    summary = _read_json(run_dir / "summary.json")
    pipeline, pipeline_yaml = _read_pipeline(run_dir)
    names = _step_names(run_dir, summary)
    leaves = _leaves(run_dir, summary, pipeline)
    budget = MAX_ROWS
    tables = []
    for name in leaves:
        table = _row_table(run_dir / "steps" / name, budget)
        table["name"] = name
        budget = max(budget - table["embedded"], 0)
        tables.append(table)
    # A run folder is CACHE_DIR/<pipeline name>/<signature>.
    title = ((pipeline.get("pipeline") or {}).get("name")) or run_dir.parent.name or run_dir.name
    if pipeline_yaml:
        config = (f"<section id='config'><details><summary><h2 style='display:inline'>Pipeline</h2></summary>"
                  f"<pre class='config'>{_e(pipeline_yaml)}</pre></details></section>")
    elif (run_dir / "pipeline.yaml").exists():
        config = ("<section id='config'><h2>Pipeline</h2><p class='muted'>pipeline.yaml is too large to show"
                  " here; it is in the run folder.</p></section>")
    else:
        config = ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{_e(title)} · distilabel run report</title>
<style>{_STYLE}</style></head>
<body>
<header><h1>{_e(title)}</h1><div class="folder">{_e(run_dir)}</div></header>
<main>
{_summary_section(summary, run_dir)}
{_steps_section(summary, names)}
{_failures_section(run_dir, summary, names)}
{_rows_section(tables)}
{config}
</main>
<script type="application/json" id="report-data">{_embed_json({"leaves": tables})}</script>
<script>{_SCRIPT}</script>
</body></html>
"""


__all__ = ["MAX_ROWS", "REPORT_FILE", "build_report", "write_report", "write_report_or_raise"]
