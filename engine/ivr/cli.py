"""`ivr` command group (attached to the fscc CLI as `fscc ivr ...`)."""

from __future__ import annotations

from pathlib import Path

import click

from engine.ivr.errors import InvalidFlow
from engine.ivr.loader import load_flow, to_graph, validate_files
from engine.ivr.registry import flow_files

_SOUNDS = click.option(
    "--sounds-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where prompt files live (default: $FSCC_SOUNDS_DIR or the project's sounds/).",
)


@click.group(name="ivr")
def ivr() -> None:
    """Check and draw YAML IVR flows."""


@ivr.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_SOUNDS
def validate(paths: tuple[Path, ...], sounds_dir: Path | None) -> None:
    """Check flows, their prompts and targets; exit 1 if any file has an error.

    PATHS are flow files or directories (their YAML files that have `nodes`).
    """
    files = [found for path in paths
             for found in (flow_files(path) if path.is_dir() else [path])]
    problems = validate_files(files, sounds_dir=sounds_dir)
    for problem in problems:
        click.echo(str(problem))
    error_count = sum(1 for p in problems if not p.is_warning)
    bad_files = {p.file for p in problems if not p.is_warning}
    if error_count:
        click.echo(f"{error_count} error(s) in {len(bad_files)} of {len(files)} file(s)", err=True)
        raise SystemExit(1)
    click.echo(f"{len(files)} flow(s) OK", err=True)


@ivr.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["dot", "mermaid"]), default="dot",
              show_default=True, help="Graph language.")
@_SOUNDS
def graph(file: Path, fmt: str, sounds_dir: Path | None) -> None:
    """Print a flow as a DOT or Mermaid graph."""
    try:
        flow = load_flow(file, sounds_dir=sounds_dir)
    except InvalidFlow as exc:
        for error in exc.errors:
            click.echo(str(error), err=True)
        raise SystemExit(1) from exc
    click.echo(to_graph(flow, fmt), nl=False)


if __name__ == "__main__":  # pragma: no cover - manual use: python -m engine.ivr.cli
    ivr()
