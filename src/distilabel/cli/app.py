"""The ``distilabel`` command.

```console
distilabel pipeline run --config pipeline.yaml --param text_generation.llm.generation_kwargs.temperature=0.7
distilabel pipeline run --config https://huggingface.co/datasets/USER/NAME/raw/main/pipeline.yaml
distilabel pipeline run --script my_pipeline.py --pipeline-variable-name pipeline --dry-run
distilabel pipeline info --config pipeline.yaml
distilabel pipeline report RUN_FOLDER --open
distilabel --version
```

``DISTILABEL_LOG_LEVEL`` (``DEBUG``, ``INFO``, ``WARNING``, ...) sets how much a run logs.
"""

from pathlib import Path
from typing import Any, Dict, List, Optional

import typer

from distilabel.errors import DistilabelUserError
from distilabel.utils.serialization import TRUST_REMOTE_CODE_ENV_VAR, YAMLSyntaxError, load_yaml

app = typer.Typer(help="Build datasets with LLMs.", no_args_is_help=True, add_completion=False)
pipeline_app = typer.Typer(help="Run or inspect a pipeline saved as YAML or JSON.", no_args_is_help=True)
app.add_typer(pipeline_app, name="pipeline")


def _print_version(value: bool) -> None:
    if value:
        from distilabel import __version__

        typer.echo(f"distilabel {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Build datasets with LLMs."""


_CONFIG_HELP = (
    "The pipeline file (pipeline.yaml or .json) as written by `pipeline.save()` or a run, or its http(s) URL."
)
_SCRIPT_HELP = "A Python file (or its http(s) URL) that builds the pipeline; it is run, not its __main__ block."
_VARIABLE_HELP = "The variable holding the pipeline in --script (`with Pipeline(...) as pipeline:`)."
_ALLOWED_HELP = "A module whose classes the file may use besides distilabel's (repeatable)."
_TRUST_HELP = (
    "Let the file set trust_remote_code: true, which runs Python code from the model's folder"
    f" (also {TRUST_REMOTE_CODE_ENV_VAR}=1)."
)


def parse_params(params: List[str]) -> Dict[str, Any]:
    """``["step.llm.generation_kwargs.temperature=0.7"]`` -> nested runtime parameters.

    Values are read as YAML scalars (``0.7`` a float, ``true`` a bool, ``[1, 2]`` a
    list); anything else stays a string.
    """
    result: Dict[str, Any] = {}
    for param in params:
        path, sep, raw = param.partition("=")
        parts = [p for p in path.strip().split(".") if p]
        if not sep or len(parts) < 2:
            raise DistilabelUserError(
                f"Invalid --param {param!r}: use STEP_NAME.PARAMETER=VALUE, e.g."
                " text_generation.llm.generation_kwargs.temperature=0.7"
            )
        try:
            value = load_yaml(raw, source=f"--param {param!r}")
        except YAMLSyntaxError:
            value = raw
        node = result
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise DistilabelUserError(f"--param {param!r} conflicts with another --param for {part!r}.")
        node[parts[-1]] = value
    return result


def _load(config: str, allowed_modules: List[str], allow_trust_remote_code: bool = False) -> Any:
    """The pipeline of a dump: a local file, or a URL downloaded first (then read like a local file)."""
    from distilabel.cli.sources import local_copy
    from distilabel.pipeline.local import Pipeline

    with local_copy(config, (".json", ".yaml", ".yml")) as path:
        return Pipeline.from_file(
            path, allowed_modules=allowed_modules, allow_trust_remote_code=allow_trust_remote_code
        )


def _pipeline_to_run(
    config: Optional[str],
    script: Optional[str],
    variable_name: str,
    allowed_modules: List[str],
    allow_trust_remote_code: bool,
    yes: bool,
) -> Any:
    from distilabel.cli.sources import is_url, pipeline_from_script

    if (config is None) == (script is None):
        raise DistilabelUserError("Pass one of --config (a pipeline file or URL) or --script (a Python file or URL).")
    if script is None:
        return _load(config, allowed_modules, allow_trust_remote_code)  # type: ignore[arg-type]
    if is_url(script) and not yes and not typer.confirm(f"This runs the Python script at {script}. Continue?"):
        typer.echo("Not running the script.")
        raise typer.Exit(code=0)
    return pipeline_from_script(script, variable_name)


@pipeline_app.command("run")
def run(
    config: Optional[str] = typer.Option(None, "--config", help=_CONFIG_HELP),
    script: Optional[str] = typer.Option(None, "--script", help=_SCRIPT_HELP),
    pipeline_variable_name: str = typer.Option("pipeline", "--pipeline-variable-name", help=_VARIABLE_HELP),
    param: List[str] = typer.Option([], "--param", help="STEP.PARAM=VALUE runtime parameter (repeatable)."),
    ignore_cache: bool = typer.Option(False, "--ignore-cache", help="Do not reuse work of a previous run."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Run on one row of each generator, without the cache; save and push nothing."
    ),
    repo_id: Optional[str] = typer.Option(None, "--repo-id", help="Push the result to this Hub dataset."),
    commit_message: Optional[str] = typer.Option(None, "--commit-message", help="The commit message of --repo-id."),
    private: bool = typer.Option(False, "--private", help="Create the Hub dataset as private."),
    token: Optional[str] = typer.Option(None, "--token", help="Hugging Face token (default: HF_TOKEN)."),
    output_dir: Optional[Path] = typer.Option(None, "--output-dir", help="Also save the result here."),
    allowed_module: List[str] = typer.Option([], "--allowed-module", help=_ALLOWED_HELP),
    allow_trust_remote_code: bool = typer.Option(False, "--allow-trust-remote-code", help=_TRUST_HELP),
    yes: bool = typer.Option(False, "--yes", "-y", help="Run a --script URL without asking first."),
    max_budget: Optional[float] = typer.Option(
        None,
        "--max-budget",
        help="Stop cleanly before this run's new requests cost more than this many US dollars"
        " (the rows are kept; run again to resume).",
    ),
    retry_failed: bool = typer.Option(
        False,
        "--retry-failed",
        help="Send every failed row of an earlier run again, also those the provider refused (HTTP 4xx);"
        " finished rows are reused.",
    ),
    estimate: bool = typer.Option(
        False,
        "--estimate",
        help="Run a sample (--estimate-rows per generator) and print the tokens and cost the whole run may"
        " take; nothing else is run.",
    ),
    estimate_rows: int = typer.Option(5, "--estimate-rows", min=1, help="Rows per generator for --estimate."),
) -> None:
    """Run a pipeline file (--config) or the pipeline a Python script builds (--script).

    Exits with 0 when the run finished, 1 when it failed (a task got no answer for
    any row, or its circuit breaker opened; the rows are kept), 2 for a mistake in
    the file, the parameters or the setup (e.g. a server that cannot be reached), 3
    when --max-budget stopped it (the finished rows are kept, nothing is saved or
    pushed; running again resumes), and 130 on Ctrl-C (running the same command again
    resumes).
    """
    from distilabel.exceptions import DistilabelCircuitOpenError
    from distilabel.pipeline.summary import DistilabelRunFailedError, is_run_interrupted

    try:
        pipeline = _pipeline_to_run(
            config, script, pipeline_variable_name, allowed_module, allow_trust_remote_code, yes
        )
        parameters = parse_params(param)
        if estimate:
            typer.echo(str(pipeline.estimate(sample=estimate_rows, parameters=parameters)))
            return
        if dry_run:
            distiset = pipeline.dry_run(parameters=parameters)
        else:
            distiset = pipeline.run(
                parameters=parameters, use_cache=not ignore_cache, max_budget=max_budget, retry_failed=retry_failed
            )
    except (DistilabelRunFailedError, DistilabelCircuitOpenError) as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(code=1) from None
    except DistilabelUserError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(code=2) from None
    except KeyboardInterrupt as interrupted:
        if not is_run_interrupted(interrupted):
            raise
        typer.echo(str(interrupted), err=True)
        raise typer.Exit(code=130) from None
    typer.echo(repr(distiset))
    summary = getattr(pipeline, "last_run_summary", None)
    if getattr(summary, "status", None) == "budget_exceeded":
        typer.echo(summary.message, err=True)
        raise typer.Exit(code=3)
    if dry_run:
        if output_dir is not None or repo_id is not None:
            typer.echo("Dry run: nothing saved or pushed.")
        return
    if output_dir is not None:
        distiset.save_to_disk(output_dir)
        typer.echo(f"Saved to {output_dir}")
    if repo_id is not None:
        from distilabel.utils.hub import hub_endpoint

        try:
            extra = {"commit_message": commit_message} if commit_message else {}
            distiset.push_to_hub(repo_id, private=private, token=token, **extra)
        except DistilabelUserError as error:  # no token, Hub unreachable or refusing: one line
            typer.echo(f"Error: {error}", err=True)
            raise typer.Exit(code=2) from None
        typer.echo(f"Pushed to {hub_endpoint()}/datasets/{repo_id}")


@pipeline_app.command("info")
def info(
    config: str = typer.Option(..., "--config", help=_CONFIG_HELP),
    allowed_module: List[str] = typer.Option([], "--allowed-module", help=_ALLOWED_HELP),
) -> None:
    """Show a pipeline's steps, connections, the values of each step, and its runtime parameters."""
    try:
        # Showing a pipeline loads no model, so trust_remote_code in it runs nothing here.
        pipeline = _load(config, allowed_module, allow_trust_remote_code=True)
    except DistilabelUserError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(f"Pipeline {pipeline.name!r}" + (f": {pipeline.description}" if pipeline.description else ""))
    typer.echo("\nSteps:")
    for name, step in pipeline.dag.steps.items():
        successors = pipeline.dag.successors(name)
        arrow = f" -> {', '.join(successors)}" if successors else ""
        typer.echo(f"  {name} ({type(step).__name__}){arrow}")
    if pipeline.routing_batch_functions:
        typer.echo("\nRouting batch functions:")
        for name, function in pipeline.routing_batch_functions.items():
            typer.echo(f"  {name}: {function.description or function.factory_name or 'custom'}")
    from distilabel.cli.describe import describe_values

    typer.echo("\nValues (secrets left out):")
    for name, step in pipeline.dag.steps.items():
        typer.echo(f"  {name} ({type(step).__name__}):")
        for line in describe_values(step.dump(), indent=4):
            typer.echo(line)
    typer.echo("\nRuntime parameters:")
    for name, parameters in pipeline.get_runtime_parameters_info().items():
        typer.echo(f"  {name}:")
        for line in _describe(parameters, indent=4):
            typer.echo(line)


@pipeline_app.command("report")
def report(
    run_folder: Path = typer.Argument(..., help="The run's folder (it holds summary.json and steps/)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Where to write the page (default: RUN_FOLDER/report.html)."),
    open_page: bool = typer.Option(False, "--open", help="Open the page in the web browser."),
) -> None:
    """Write (or refresh) a run's offline HTML report and print its path."""
    from distilabel.pipeline.report import write_report_or_raise

    if not (run_folder / "steps").is_dir() and not (run_folder / "summary.json").is_file():
        typer.echo(f"Error: {run_folder} is not a run folder (no summary.json or steps/ in it).", err=True)
        raise typer.Exit(code=2)
    try:
        path = write_report_or_raise(run_folder, output)
    except OSError as error:
        typer.echo(f"Error: could not write the report: {error}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(str(path))
    if open_page:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())


def _describe(parameters: List[Dict[str, Any]], indent: int) -> List[str]:
    lines = []
    pad = " " * indent
    for entry in parameters:
        if "runtime_parameters_info" in entry:
            lines.append(f"{pad}{entry['name']}:")
            lines.extend(_describe(entry["runtime_parameters_info"], indent + 2))
            continue
        optional = "optional" if entry.get("optional") else "required"
        description = f": {entry['description']}" if entry.get("description") else ""
        lines.append(f"{pad}{entry['name']} ({optional}){description}")
        for key in entry.get("keys", []):
            key_description = f": {key['description']}" if key.get("description") else ""
            lines.append(f"{pad}  {key['name']}{key_description}")
    return lines


def main() -> None:
    app()


if __name__ == "__main__":
    main()
