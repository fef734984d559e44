"""The ``distilabel`` command.

```console
distilabel pipeline run --config pipeline.yaml --param text_generation.llm.generation_kwargs.temperature=0.7
distilabel pipeline info --config pipeline.yaml
```
"""

from pathlib import Path
from typing import Any, Dict, List, Optional

import typer
import yaml

from distilabel.errors import DistilabelUserError

app = typer.Typer(help="Build datasets with LLMs.", no_args_is_help=True, add_completion=False)
pipeline_app = typer.Typer(help="Run or inspect a pipeline saved as YAML or JSON.", no_args_is_help=True)
app.add_typer(pipeline_app, name="pipeline")

_CONFIG_HELP = "The pipeline file (pipeline.yaml or .json), as written by `pipeline.save()` or a run."
_ALLOWED_HELP = "A module whose classes the file may use besides distilabel's (repeatable)."


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
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        node = result
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise DistilabelUserError(f"--param {param!r} conflicts with another --param for {part!r}.")
        node[parts[-1]] = value
    return result


def _load(config: str, allowed_modules: List[str]) -> Any:
    from distilabel.pipeline.local import Pipeline

    if config.startswith(("http://", "https://")):
        raise DistilabelUserError(f"Cannot read {config!r}: download the file and pass its local path.")
    path = Path(config)
    if not path.is_file():
        raise DistilabelUserError(f"No pipeline file at {config!r}.")
    return Pipeline.from_file(path, allowed_modules=allowed_modules)


@pipeline_app.command("run")
def run(
    config: str = typer.Option(..., "--config", help=_CONFIG_HELP),
    param: List[str] = typer.Option([], "--param", help="STEP.PARAM=VALUE runtime parameter (repeatable)."),
    ignore_cache: bool = typer.Option(False, "--ignore-cache", help="Do not reuse work of a previous run."),
    repo_id: Optional[str] = typer.Option(None, "--repo-id", help="Push the result to this Hub dataset."),
    private: bool = typer.Option(False, "--private", help="Create the Hub dataset as private."),
    token: Optional[str] = typer.Option(None, "--token", help="Hugging Face token (default: HF_TOKEN)."),
    output_dir: Optional[Path] = typer.Option(None, "--output-dir", help="Also save the result here."),
    allowed_module: List[str] = typer.Option([], "--allowed-module", help=_ALLOWED_HELP),
) -> None:
    """Run a pipeline file."""
    try:
        pipeline = _load(config, allowed_module)
        distiset = pipeline.run(parameters=parse_params(param), use_cache=not ignore_cache)
    except DistilabelUserError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(repr(distiset))
    if output_dir is not None:
        distiset.save_to_disk(output_dir)
        typer.echo(f"Saved to {output_dir}")
    if repo_id is not None:
        distiset.push_to_hub(repo_id, private=private, token=token)
        typer.echo(f"Pushed to https://huggingface.co/datasets/{repo_id}")


@pipeline_app.command("info")
def info(
    config: str = typer.Option(..., "--config", help=_CONFIG_HELP),
    allowed_module: List[str] = typer.Option([], "--allowed-module", help=_ALLOWED_HELP),
) -> None:
    """Show a pipeline's steps, connections and runtime parameters."""
    try:
        pipeline = _load(config, allowed_module)
    except DistilabelUserError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(f"Pipeline {pipeline.name!r}" + (f": {pipeline.description}" if pipeline.description else ""))
    typer.echo("\nSteps:")
    for name, step in pipeline.dag.steps.items():
        successors = pipeline.dag.successors(name)
        arrow = f" -> {', '.join(successors)}" if successors else ""
        typer.echo(f"  {name} ({type(step).__name__}){arrow}")
    typer.echo("\nRuntime parameters:")
    for name, parameters in pipeline.get_runtime_parameters_info().items():
        typer.echo(f"  {name}:")
        for line in _describe(parameters, indent=4):
            typer.echo(line)


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
