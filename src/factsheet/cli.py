"""The `factsheet` command: parses options, calls the library, prints, sets the exit code."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

import click

from . import __version__
from .errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_PROBLEMS, FactsheetError, describe_os_error, printable
from .problems import display_path

project_option = click.option(
    "--project", "-C", "project_dir", type=click.Path(file_okay=False, path_type=Path), default=".",
    show_default=True, help="Project folder (the one holding factsheets/), or a folder below it.")


def say(text: str, err: bool = False) -> None:
    """Print one message, with any control, bidi or invisible character from the input shown escaped."""
    click.echo("\n".join(printable(line) for line in text.split("\n")), err=err)


class _Commands(click.Group):
    """The command group, with the one place every error becomes a message and an exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except FactsheetError as exc:
            report(exc)
            ctx.exit(exc.exit_code)
        except OSError as exc:
            problem = describe_os_error(exc, "read or write")
            report(problem)
            ctx.exit(problem.exit_code)
        except KeyboardInterrupt:
            say("Interrupted: files being written were left as they were before.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except Exception as exc:  # noqa: BLE001 (the last line of defence: never a traceback)
            if os.environ.get("FACTSHEET_DEBUG"):
                raise
            say(f"factsheet: internal error ({type(exc).__name__}: {exc}). This is a bug in factsheet: please report "
                "it with the command you ran; FACTSHEET_DEBUG=1 shows the details.", err=True)
            ctx.exit(EXIT_INTERNAL)


def report(exc: FactsheetError) -> None:
    """Print an error's problems (one per line, as check does) and then its message."""
    cwd = Path.cwd()
    for problem in exc.problems:
        say(problem.format(cwd))
    say(str(exc), err=True)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="factsheet")
def cli() -> None:
    """Turn citation-backed YAML fact records into multi-language PDF briefing sheets.

    \b
    Start here:
      factsheet init my-desk      create a project with an example sheet
      factsheet check             report every problem in factsheets/
      factsheet build             write the PDFs into out/
      factsheet watch             rebuild whenever a record or template changes
      factsheet status            show which translations are missing or stale
      factsheet send              email each reader their briefings
    """


@cli.command()
@project_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output for people (text) or for tools (json).")
@click.option("--recipients", "recipients_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also check a recipients file, without sending anything.")
@click.option("--lang", "languages", multiple=True, metavar="LANG[,LANG...]",
              help="Report translation problems of these languages only (every other problem is still reported).")
def check(project_dir: Path, fmt: str, recipients_file: Path | None, languages: tuple) -> None:
    """Check every record and report all problems as file:line:col.

    Exits 0 when there are no errors (warnings and notes allowed), 1 when
    there are errors, 2 on a usage error.

    \b
    Examples:
      factsheet check --format json > problems.json
      factsheet check --recipients docs/recipients.example.yaml
      factsheet check --lang ru
    """
    from .checks import check as run_checks
    from .problems import Severity, sort_problems, summarize

    project = _load(project_dir)
    chosen = _languages(project, languages)
    problems = [p for p in run_checks(project) if not chosen or p.language is None or p.language in chosen]
    files = len(project.files)
    if recipients_file is not None:
        problems = sort_problems(problems + _recipients(project, recipients_file)[1])
        files += 1
    cwd = Path.cwd()
    if fmt == "json":
        counts = {s.value + "s": sum(1 for p in problems if p.severity is s) for s in Severity}
        say(json.dumps({"problems": [p.to_json(cwd) for p in problems], "files": files,
                               "summary": counts}, ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            say(problem.format(cwd))
        say(summarize(problems, files), err=bool(problems))
    sys.exit(EXIT_PROBLEMS if any(p.is_error for p in problems) else EXIT_OK)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Create a new project in DIRECTORY with one example sheet that passes check.

    \b
    Example:
      factsheet init my-desk && factsheet check -C my-desk
    """
    from .scaffold import create_project

    written = create_project(directory)
    say(f"Created {len(written)} files in {directory}. Next: factsheet check -C {directory}, then factsheet build -C {directory}")


@cli.command()
@project_option
@click.option("--lang", "languages", multiple=True, metavar="LANG[,LANG...]", help="Only these languages.")
@click.option("--template", "templates", multiple=True, metavar="NAME[,NAME...]", help="Templates to build.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N", help="Worker processes.")
@click.option("--interval", type=click.FloatRange(min=0.05), default=0.5, show_default=True, help="Seconds between looks.")
def watch(project_dir: Path, languages: tuple, templates: tuple, jobs: int | None, interval: float) -> None:
    """Rebuild what changed whenever a file under factsheets/, translations/, templates/ or locale/ changes; Ctrl-C stops.

    Each change prints the problems found, or the PDFs rebuilt.

    \b
    Example:
      factsheet watch --lang en
    """
    from .builder import build as run_build
    from .checks import validated
    from .project import load_project
    from .watch import watch as run_watch

    root = _load(project_dir).root
    cwd = Path.cwd()

    def rebuild(files: list) -> None:
        if files:
            names = ", ".join(display_path(f, cwd) for f in files[:3]) + (" ..." if len(files) > 3 else "")
            say(f"Changed: {names}")
        try:  # whatever goes wrong, say so and keep watching: the next save may fix it
            result = run_build(validated(load_project(root)), None, _split(languages), _split(templates), None,
                               jobs=jobs or os.cpu_count() or 1)
        except FactsheetError as exc:
            for problem in exc.problems:
                say(problem.format(cwd))
            say(f"Not built: {exc}", err=True)
            return
        except OSError as exc:
            say(f"Not built: {describe_os_error(exc, 'read or write')}", err=True)
            return
        rebuilt = ", ".join(o.file for o in result.outputs) or "nothing"
        say(f"Rebuilt {len(result.outputs)} ({result.skipped} unchanged) in {result.seconds:.2f} s: {rebuilt}")

    say(f"Watching {display_root(root, cwd)} (factsheets/, translations/, templates/, locale/). Press Ctrl-C to stop.")
    rebuild([])
    _warm(root, languages, templates)
    try:
        run_watch(root, rebuild, interval=interval)
    except KeyboardInterrupt:
        say("Stopped.")


def _warm(root: Path, languages: tuple, templates: tuple) -> None:
    """Load ReportLab, fonts and catalogs now, so that the first edit rebuilds as fast as later ones."""
    from .builder import warm_up
    from .project import load_project
    from .templates import load_template

    try:
        project = load_project(root)
        if project.settings is None:
            return
        names = _split(templates) or [project.settings.template, *project.settings.extra_templates]
        loaded = [load_template(root / "templates", name, project.readable_roots()) for name in names]
    except (FactsheetError, OSError):
        return  # the rebuild reports these problems itself
    warm_up(project, loaded, _split(languages) or project.settings.all_languages)


def display_root(root: Path, cwd: Path) -> str:
    """The project folder as the user would write it."""
    return display_path(root, cwd) if root != cwd.resolve() else "."


@cli.command()
@project_option
@click.option("--lang", "languages", multiple=True, metavar="LANG[,LANG...]", help="Only these languages.")
@click.option("--details", is_flag=True, help="Also list every text still untranslated, fuzzy or unreviewed, and where.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="A table for people (text) or JSON for tools.")
def status(project_dir: Path, languages: tuple, details: bool, fmt: str) -> None:
    """Show translation status: per PO file and language, texts translated, fuzzy, untranslated and unreviewed.

    Ends with one line per language in the words of msgfmt --statistics.

    \b
    Examples:
      factsheet status --lang ru --details
      factsheet status --format json
    """
    from .checks import validated
    from .translations import pending_texts, project_status, statistics

    project = _load(project_dir)
    chosen = _languages(project, languages)
    valid = validated(project)
    rows = project_status(valid, chosen)
    pending = pending_texts(valid, chosen) if details else []
    cwd = Path.cwd()
    if fmt == "json":
        data = {"files": [{**row.__dict__, "complete": row.complete} for row in rows],
                "statistics": statistics(rows)}
        if details:
            data["pending"] = [{"file": p.catalog, "language": p.language, "state": p.state, "text": p.where,
                                "context": p.context, "path": display_path(p.loc.path, cwd), "line": p.loc.line}
                               for p in pending]
        say(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _status_table(rows)
    for item in pending:
        say(f"{display_path(item.loc.path, cwd)}:{item.loc.line}: {item.language}: {item.state}: {item.where} "
            f"[{item.context}]")
    for language, line in statistics(rows).items():
        say(f"{language}: {line}.")


def _languages(project, languages: tuple) -> list[str] | None:
    """The --lang values, refused with a suggestion when the project does not publish one."""
    from .languages import suggest_language

    chosen = _split(languages)
    published = project.settings.all_languages if project.settings else ()
    for code in chosen or ():
        if code not in published:
            hint = suggest_language(code, published)
            raise click.UsageError(printable(f"the project does not publish '{code}'{hint} "
                                             f"(languages: {', '.join(published)})"))
    return chosen


def _status_table(rows: list) -> None:
    """Print translation counts as an aligned table."""
    header = ("file", "language", "texts", "translated", "fuzzy", "untranslated", "unreviewed")
    table = [header] + [(r.catalog, r.language, r.total, r.translated, r.fuzzy, r.untranslated, r.unreviewed)
                        for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        say("  ".join(str(cell).ljust(width) if i < 2 else str(cell).rjust(width)
                      for i, (cell, width) in enumerate(zip(row, widths))).rstrip())


@cli.group()
def translations() -> None:
    """Keep the content translations (PO files under translations/) in step with the English.

    \b
    Examples:
      factsheet translations update
      factsheet translations migrate
    """


@translations.command("update")
@project_option
@click.option("--lang", "languages", multiple=True, metavar="LANG[,LANG...]", help="Only these languages.")
def translations_update(project_dir: Path, languages: tuple) -> None:
    """Create or update translations/<lang>/<sheet>.po from the English, as msgmerge does.

    New texts are added untranslated; a text whose English changed keeps its
    translation, marked fuzzy, with the earlier English as #| msgid; texts
    that are gone become obsolete (#~). Open the files in any PO editor.

    \b
    Example:
      factsheet translations update --lang ru
    """

    from .checks import validated
    from .pofiles import update_catalogs

    project = _load(project_dir)
    chosen = _languages(project, languages)
    valid = validated(project)
    results = update_catalogs(valid.project, tuple(chosen) if chosen else None)
    cwd = Path.cwd()
    for result in results:
        if result.written:
            say(f"{display_path(result.path, cwd)}: {result.added} new, {result.fuzzy} fuzzy, {result.obsolete} obsolete")
    changed = sum(r.written for r in results)
    say(f"Updated {changed} of {len(results)} PO files" + ("." if changed else ": all were in step with the English."))


@translations.command("migrate")
@project_option
def translations_migrate(project_dir: Path) -> None:
    """Move translations kept in the YAML (the layout before PO files) into PO files, losing none.

    The YAML keeps only the English, with its comments; the project is read
    again afterwards and must hold the same texts and translations, or
    nothing is changed.

    \b
    Example:
      factsheet translations migrate && factsheet check
    """

    from .migrate import migrate

    report = migrate(_load(project_dir))
    if not report.yaml_files:
        say("Nothing to migrate: the YAML holds no translations.")
        return
    cwd = Path.cwd()
    say(f"Moved {report.translations} translations into {len(report.po_files)} PO files; "
        f"{len(report.yaml_files)} YAML files now hold only the English:")
    for path in report.yaml_files:
        say(f"  {display_path(path, cwd)}")


@cli.command()
@project_option
@click.option("--recipients", "recipients_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Recipients file (default: mail.recipients in settings.yaml).")
@click.option("--dry-run", is_flag=True, help="Write each message as an .eml file under out/mail/ and send nothing.")
@click.option("--sheet", "sheets", multiple=True, metavar="SHEET", help="Only these sheets (repeatable).")
@click.option("--resend", multiple=True, metavar="ADDRESS|all",
              help="Send these readers (or all) everything they read again, whatever the ledger records (repeatable).")
@click.option("--settle", multiple=True, metavar="ADDRESS=sent|unsent",
              help="Record whether a delivery whose outcome is unknown arrived (sent) or not (unsent, due again); "
                   "sends nothing (repeatable).")
@click.option("--rate", type=click.FloatRange(min=0.1), default=None, metavar="N", help="At most N messages per minute.")
@click.option("--allow-insecure", is_flag=True, help="Allow FACTSHEET_SMTP_SECURITY=none to a host that is not loopback.")
def send(project_dir: Path, recipients_file: Path | None, dry_run: bool, sheets: tuple, resend: tuple, settle: tuple,
         rate: float | None, allow_insecure: bool) -> None:
    """Email each recipient their briefings in their language, exactly once.

    Needs up-to-date PDFs (run build first). SMTP settings come from
    FACTSHEET_SMTP_HOST, _PORT, _USER, _PASSWORD, _SECURITY (starttls, tls or
    none) and _CAFILE, or from mail.smtp in settings.yaml (never the password).
    out/mail/ledger.jsonl records every hand-over, so a second run sends only
    what is new or changed.

    \b
    Examples:
      factsheet send --recipients docs/recipients.example.yaml --dry-run
      FACTSHEET_SMTP_HOST=smtp.example.org factsheet send --recipients docs/recipients.example.yaml
    """
    import datetime as dt

    from .checks import check as run_checks
    from .checks import validated
    from .errors import InputError
    from .mail.config import smtp_settings
    from .mail.send import send as run_send

    project = _load(project_dir)
    if settle:
        from .mail.send import settle as run_settle

        for line in run_settle(validated(project), _verdicts(settle)):
            say(line)
        return
    recipients, recipient_problems = _recipients(project, recipients_file)
    errors = [p for p in run_checks(project) + recipient_problems if p.is_error]
    if errors:
        raise InputError(f"Nothing sent: {len(errors)} error(s).", errors)
    valid = validated(project)
    smtp = None if dry_run else smtp_settings(project.settings.mail, os.environ, allow_insecure)
    everyone = [address.lower() for address in _split(resend) or []] == ["all"]
    with click.progressbar(length=len(recipients), label="Sending" if not dry_run else "Writing", file=sys.stderr,
                           show_pos=True) as bar:
        report = run_send(valid, recipients, smtp=smtp, dry_run=dry_run, resend=everyone or _split(resend) or False,
                          sheets=list(sheets) or None, now=dt.datetime.now(dt.timezone.utc), rate=rate,
                          progress=lambda outcome: bar.update(1),
                          unsubscribe_secret=os.environ.get("FACTSHEET_UNSUBSCRIBE_SECRET") or None)
    for outcome in report.outcomes:
        if outcome.state in ("failed", "unknown"):
            say(f"{outcome.state}: {outcome.address}: {outcome.detail}", err=True)
    if dry_run:
        say(f"Wrote {report.count('written')} messages to {display_path(report.mail_dir, Path.cwd())}/; sent nothing.")
    else:
        say(report.summary())
    say(f"Report: {display_path(report.report_path, Path.cwd())}", err=True)
    sys.exit(report.exit_code())


def _verdicts(values: tuple) -> dict:
    """--settle ADDRESS=sent|unsent, as {address: arrived}."""
    verdicts = {}
    for value in values:
        address, _, verdict = value.rpartition("=")
        if not address or verdict not in ("sent", "unsent"):
            raise click.UsageError(printable(f"--settle takes ADDRESS=sent or ADDRESS=unsent, not {value!r}"))
        verdicts[address] = verdict == "sent"
    return verdicts


def _recipients(project, path: Path | None):
    """Load the recipients named by option or settings; a missing file is a usage error."""
    from .mail.recipients import load_recipients

    mail = project.settings.mail if project.settings else None
    if path is None and mail is not None and mail.recipients:
        path = project.root / mail.recipients
    if path is None:
        raise click.UsageError("no recipients file: pass --recipients FILE or set mail.recipients in settings.yaml")
    if not path.is_file():
        raise click.UsageError(printable(f"recipients file {path} does not exist"))
    return load_recipients(path, project)


def _split(values: tuple) -> list[str] | None:
    """Accept both `--lang ko,ru` and `--lang ko --lang ru`."""
    items = [item.strip() for value in values for item in value.split(",") if item.strip()]
    return items or None


@cli.command()
@project_option
@click.argument("sheets", nargs=-1)
@click.option("--lang", "languages", multiple=True, metavar="LANG[,LANG...]", help="Only these languages.")
@click.option("--template", "templates", multiple=True, metavar="NAME[,NAME...]",
              help="Templates to build (default: the settings' template and extra_templates).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: out/ in the project).")
@click.option("--format", "formats", multiple=True, metavar="pdf|html[,...]",
              help="What to write: pdf (default), html (an accessible page per sheet and language), or pdf,html.")
@click.option("--strict", is_flag=True, help="Treat a missing or stale translation as an error instead of falling back.")
@click.option("--force", is_flag=True, help="Rebuild every PDF, even those whose inputs have not changed.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N",
              help="Worker processes (default: the number of cores).")
@click.option("--quiet", "-q", is_flag=True, help="Print only problems and the summary line.")
def build(project_dir: Path, sheets: tuple, languages: tuple, templates: tuple, out_dir: Path | None, formats: tuple,
          strict: bool, force: bool, jobs: int | None, quiet: bool) -> None:
    """Validate, then write one PDF per sheet, language and template, and out/manifest.json.

    Nothing is written if any record has an error; a failed or interrupted
    build leaves earlier PDFs untouched. Only PDFs whose inputs changed are
    rebuilt (--force rebuilds all). SOURCE_DATE_EPOCH, when set, is the date
    written into the PDFs; otherwise each sheet's as-of date is.

    \b
    Examples:
      factsheet build
      factsheet build kursk-casualties --lang ko,ru --template card
      factsheet build --force -j 2
      factsheet build --format pdf,html
    """
    from .headstart import Headstart

    jobs = jobs or os.cpu_count() or 1
    epoch = _source_date_epoch()
    # With two processes the second starts now, warming up on the other core while this one loads and checks;
    # with more, workers forked from a warm parent do better.
    ahead = Headstart.start(project_dir, out_dir, force) if jobs == 2 and "pdf" in (_split(formats) or ["pdf"]) else None
    with ahead or contextlib.nullcontext():
        from .builder import BuildFailed, build as run_build
        from .checks import InvalidProject, validated

        project = _load(project_dir)

        def progress(done: int, total: int, name: str) -> None:
            if not quiet:
                say(f"[{done}/{total}] {name}", err=True)

        try:
            valid = validated(project)
        except InvalidProject as exc:
            raise BuildFailed(exc.problems) from None
        result = run_build(valid, list(sheets) or None, _split(languages), _split(templates), out_dir,
                           formats=_split(formats), source_date_epoch=epoch, progress=progress, strict=strict,
                           force=force, jobs=jobs, headstart=ahead)
    cwd = Path.cwd()
    for problem in result.warnings:
        say(problem.format(cwd), err=True)
    count = len(result.outputs)
    pages = sum(1 for output in result.outputs if output.file.endswith(".html"))
    if result.removed:
        say(f"Removed {len(result.removed)} PDF(s) of sheets that no longer exist: {', '.join(result.removed)}")
    unchanged = f" ({result.skipped} unchanged, skipped)" if result.skipped else ""
    built = f"{count - pages} PDF{'' if count - pages == 1 else 's'}"
    if pages:
        built += f" and {pages} HTML page{'' if pages == 1 else 's'}"
    say(f"Built {built}{unchanged} in {result.seconds:.2f} s into {display_path(result.out_dir, cwd)}/")


@cli.command()
@project_option
@click.argument("sheets", nargs=-1)
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="The edition's date (default: today).")
def publish(project_dir: Path, sheets: tuple, day) -> None:
    """Record a new numbered, dated edition of each sheet whose reader-visible content changed.

    An edition is editions/<sheet>/<number>.json: what readers saw in every
    language, as text to commit with the facts. A sheet nothing visible
    changed in keeps its last edition.

    \b
    Examples:
      factsheet publish
      factsheet publish kursk-casualties --date 2025-07-02
    """
    import datetime as dt

    from .checks import validated
    from .editions import publish as run_publish

    valid = validated(_load(project_dir))
    today = day.date() if day else dt.datetime.now(dt.timezone.utc).date()
    for sheet_id, edition in run_publish(valid, list(sheets) or None, today):
        if edition is None:
            say(f"{sheet_id}: unchanged, still edition {_last_number(valid.project.root, sheet_id)}")
        else:
            say(f"{sheet_id}: edition {edition.number}, {edition.date.isoformat()}")


def _last_number(root: Path, sheet_id: str) -> int:
    from .editions import editions

    return editions(root, sheet_id)[-1].number


@cli.command()
@project_option
@click.argument("sheets", nargs=-1)
@click.option("--since", metavar="EDITION|DATE", default=None,
              help="Compare with this edition number, or the last edition on or before this date (default: the latest).")
@click.option("--until", metavar="EDITION|DATE", default=None,
              help="Compare with this edition instead of the current records.")
@click.option("--lang", "language", default=None, metavar="LANG", help="The language to compare (default: the source language).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Lines for people (text) or JSON for tools.")
def changes(project_dir: Path, sheets: tuple, since: str | None, until: str | None, language: str | None, fmt: str) -> None:
    """List new, updated, corrected, withdrawn and removed facts, claims and sources since an edition.

    \b
    Examples:
      factsheet changes
      factsheet changes kursk-casualties --since 2025-06-30 --lang ko
      factsheet changes kursk-casualties --since 1 --format json
    """
    from dataclasses import asdict

    from .checks import validated
    from .editions import changes as find_changes

    valid = validated(_load(project_dir))
    language = language or valid.project.settings.source_language
    found = {}
    for sheet_id in list(sheets) or sorted(valid.project.sheets):
        found[sheet_id] = find_changes(valid, sheet_id, language, since, until)
    if fmt == "json":
        say(json.dumps({sheet_id: {"since": {"edition": base.number, "date": base.date.isoformat()} if base else None,
                                   "changes": [asdict(change) for change in listed]}
                        for sheet_id, (base, listed) in found.items()}, ensure_ascii=False, indent=2))
        return
    for sheet_id, (base, listed) in found.items():
        since_text = f"edition {base.number} ({base.date.isoformat()})" if base else "no edition yet"
        say(f"{sheet_id} since {since_text}: {len(listed)} change{'' if len(listed) == 1 else 's'}")
        for change in listed:
            say(f"  {change.describe()}")


def _source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH from the environment, refusing a value that is not a whole number."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise click.UsageError(printable(f"SOURCE_DATE_EPOCH must be a whole number of seconds, got {value!r}"))
    return int(value)


def _load(project_dir: Path):
    """Load a project or stop with a usage error that says what to do."""
    import gc

    from .project import load_project

    gc.unfreeze()  # a project loaded before (by watch) may be collected now
    project = load_project(project_dir)
    # The records live as long as the command: keep the cycle collector from walking
    # them again and again (a third of a thousand-sheet check went to that).
    gc.freeze()
    return project


def main() -> None:
    """Entry point for the console script."""
    try:
        cli(prog_name="factsheet")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_OK if exc.code is None else EXIT_PROBLEMS
    else:
        code = EXIT_OK
    # Everything is written and closed by now; what is left is freeing every record one by one, which
    # took a fifteenth of a second after a thousand-sheet build. The process ends without it.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
