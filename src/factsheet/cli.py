"""The `factsheet` command: parses options, calls the library, prints, sets the exit code."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

project_option = click.option(
    "--project", "-C", "project_dir", type=click.Path(file_okay=False, path_type=Path), default=".",
    show_default=True, help="Project folder (the one holding factsheets/), or a folder below it.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="factsheet")
def cli() -> None:
    """Turn citation-backed YAML fact records into multi-language PDF briefing sheets.

    \b
    Start here:
      factsheet init my-desk      create a project with an example sheet
      factsheet check             report every problem in factsheets/
    """


@cli.command()
@project_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output for people (text) or for tools (json).")
def check(project_dir: Path, fmt: str) -> None:
    """Check every record and report all problems as file:line:col.

    Exits 0 when there are no errors (warnings and notes allowed), 1 when
    there are errors, 2 on a usage error.

    \b
    Example:
      factsheet check --format json > problems.json
    """
    from .checks import check as run_checks
    from .problems import Severity, summarize

    project = _load(project_dir)
    problems = run_checks(project)
    cwd = Path.cwd()
    if fmt == "json":
        counts = {s.value + "s": sum(1 for p in problems if p.severity is s) for s in Severity}
        click.echo(json.dumps({"problems": [p.to_json(cwd) for p in problems], "files": len(project.files),
                               "summary": counts}, ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            click.echo(problem.format(cwd))
        click.echo(summarize(problems, len(project.files)), err=bool(problems))
    sys.exit(EXIT_PROBLEMS if any(p.is_error for p in problems) else EXIT_OK)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Create a new project in DIRECTORY with one example sheet that passes check.

    \b
    Example:
      factsheet init my-desk && factsheet check -C my-desk
    """
    from .scaffold import ScaffoldError, create_project

    try:
        written = create_project(directory)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"Created {len(written)} files in {directory}. Next: factsheet check -C {directory}")


def _load(project_dir: Path):
    """Load a project or stop with a usage error that says what to do."""
    from .project import ProjectNotFound, load_project

    try:
        return load_project(project_dir)
    except ProjectNotFound as exc:
        raise click.UsageError(str(exc)) from None


def main() -> None:
    """Entry point for the console script."""
    cli(prog_name="factsheet")
