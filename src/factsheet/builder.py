"""`build`: validate, plan, render every requested PDF, then write them all atomically.

Nothing is written until every PDF has rendered: PDFs go to a staging folder
inside the output folder first and are renamed into place only when the whole
run has succeeded, so a failed or interrupted build leaves earlier PDFs as
they were. The manifest records what each PDF was made from.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from . import __version__, cache
from . import model as m
from .checks import ValidProject
from .errors import EnvironmentProblem, InputError, RequestError, describe_os_error
from .i18n import catalog_path
from .pofiles import po_path
from .problems import Loc, Problem, Severity
from .templates import FONTS_FILE, TYPOGRAPHY_FILE, TemplateError, find_template_file, load_template
from .validate import SLUG

if TYPE_CHECKING:
    from .headstart import Headstart

MANIFEST = "manifest.json"
EDITIONS = "editions"  # editions/<sheet>/<number>.json, written by `publish`
TRANSLATION_CODES = ("missing-translation", "stale-translation")


class BuildFailed(InputError):
    """The build stopped before writing anything; `problems` says why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"Build stopped: {sum(p.is_error for p in problems)} error(s); nothing was written.", problems)


class BuildRequestError(RequestError):
    """A request that names sheets, languages or templates the project does not have."""


@dataclass(frozen=True)
class Job:
    """One PDF to make: a sheet in a language with a template."""

    sheet: m.SheetSummary  # the sheet itself is built only to render it
    language: str
    template: str
    filename: str
    format: str = "pdf"  # or "html": the accessible edition, styled with the template's colours


@dataclass(frozen=True)
class Output:
    """One PDF written, as recorded in the manifest."""

    file: str
    sheet: str
    language: str
    template: str
    pages: int
    bytes: int
    sha256: str
    input_hash: str
    inputs: dict = field(default_factory=dict)
    edition: int = 0  # the edition this PDF is (or, when not published, the next one)
    published: bool = False  # what its latest edition recorded: `send` sends nothing else


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote, and how long it took."""

    outputs: list
    out_dir: Path
    seconds: float
    warnings: list
    skipped: int = 0
    removed: list = field(default_factory=list)  # PDFs of sheets that no longer exist, deleted with their entries


def output_name(sheet_id: str, language: str, template: str, default_template: str) -> str:
    """The PDF's file name: the default template's PDFs are `<sheet>.<lang>.pdf`, others add the template."""
    suffix = "" if template == default_template else f".{template}"
    return f"{sheet_id}.{language}{suffix}.pdf"


FORMATS = ("pdf", "html")


def plan(project: m.Project, sheets: list[str] | None, languages: list[str] | None, templates: list[str] | None,
         formats: list[str] | None = None) -> list[Job]:
    """The files a request asks for (PDFs by default); raises BuildRequestError naming anything unknown.

    An HTML edition is one per sheet and language, whatever the templates: it takes the default template's colours.
    """
    formats = list(dict.fromkeys(formats or ["pdf"]))
    bad = [name for name in formats if name not in FORMATS]
    if bad:
        raise BuildRequestError(f"no output format {bad[0]!r}: choose from {', '.join(FORMATS)}")
    settings = project.settings
    chosen = list(project.sheets) if not sheets else list(dict.fromkeys(sheets))
    unknown = [s for s in chosen if s not in project.sheets]
    if unknown:
        raise BuildRequestError(f"no sheet named {', '.join(unknown)} (sheets: {', '.join(project.sheets)})")
    if languages:
        bad = [lang for lang in languages if lang not in settings.all_languages]
        if bad:
            from .languages import suggest_language

            hint = suggest_language(bad[0], settings.all_languages)
            raise BuildRequestError(f"the project does not publish {', '.join(bad)}{hint} "
                                    f"(languages: {', '.join(settings.all_languages)})")
    names = templates or [settings.template, *settings.extra_templates]
    bad = [name for name in names if not SLUG.match(name)]
    if bad:
        raise BuildRequestError(f"{bad[0]!r} is not a template name: use the name of a file in templates/, like 'card'")
    jobs = []
    for name in dict.fromkeys(names) if "pdf" in formats else ():
        for sheet_id in chosen:
            sheet = project.sheets.summary(sheet_id)
            for language in sheet.languages:
                if languages and language not in languages:
                    continue
                jobs.append(Job(sheet, language, name, output_name(sheet.id, language, name, settings.template)))
    if "html" in formats:
        for sheet_id in chosen:
            sheet = project.sheets.summary(sheet_id)
            jobs += [Job(sheet, language, settings.template, f"{sheet.id}.{language}.html", "html")
                     for language in sheet.languages if not languages or language in languages]
    return jobs


class InputHasher:
    """Hashes of the files a PDF is made from, each file read once per build."""

    def __init__(self, project: m.Project) -> None:
        self.project = project
        self.cache: dict = {}

    def file(self, path: Path) -> str:
        """SHA-256 of one file's bytes: as loading read it, for a record or PO file, so it is read once."""
        if path not in self.cache:
            known = self.project.hashes.get(path)
            self.cache[path] = known or hashlib.sha256(path.read_bytes()).hexdigest()
        return self.cache[path]

    def font(self, path: Path) -> str:
        """SHA-256 of a font file, remembered across runs by its size and modification time.

        Font files are megabytes and change only when a package is reinstalled
        (which changes their modification time); hashing them on every run
        would cost more than a no-op build should take.
        """
        if path not in self.cache:
            info = path.stat()
            key = hashlib.sha256(f"{path.resolve()}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ino}".encode()).hexdigest()[:40]
            self.cache[path] = cache.cached("filehash", key, lambda: hashlib.sha256(path.read_bytes()).hexdigest(),
                                            valid=lambda value: isinstance(value, str) and len(value) == 64)
        return self.cache[path]

    def inputs(self, job: Job, template) -> dict:
        """Every input of one PDF, by name, with its hash."""
        root = self.project.root
        found = dict(self.sheet_files(job.sheet))
        sheet_po = po_path(root, job.language, job.sheet.id)
        if sheet_po in self.project.hashes or sheet_po.is_file():  # absent, it counts as empty
            found[_label(sheet_po, root)] = self.file(sheet_po)
        # Of the shared files only the records this sheet uses count, each with its text in this language
        # (its translations come from shared.po): an actor only another sheet cites rebuilds nothing here.
        found.update({f"actor:{name}": self.record(self.project.actors[name], job.language) for name in job.sheet.actors})
        found.update({f"source:{name}": self.record(self.project.sources[name], job.language)
                      for name in job.sheet.sources})
        found.update(self.common(template, job.language))
        return found

    def sheet_files(self, sheet: m.SheetSummary) -> dict:
        """A sheet's own file and its editions, which decide the edition line and what is marked as changed."""
        key = ("sheet", sheet.id)
        if key not in self.cache:
            root = self.project.root
            files = [sheet.loc.path, *sorted((root / EDITIONS / sheet.id).glob("*.json"))]
            self.cache[key] = {_label(path, root): self.file(path) for path in files}
        return self.cache[key]

    def common(self, template, language: str) -> dict:
        """The inputs every PDF of one template and language shares: the layout, fonts, catalog, settings and code."""
        key = ("common", template.name, language)
        if key not in self.cache:
            root = self.project.root
            files = [template.path, template.fonts_path, find_template_file(root / "templates", TYPOGRAPHY_FILE)]
            found = {_label(path, root): self.file(path) for path in files}
            found["settings"] = self.record(self.project.settings, language)
            for name in sorted({name for _, scripts in template.roles.values() for chain in scripts.values()
                                for name in chain}):
                family = template.families[name]
                found[f"font:{name}:regular"] = self.font(family.regular)
                found[f"font:{name}:bold"] = self.font(family.bold)
            catalog = catalog_path(language, self.project.locale_dirs)
            if catalog is not None:
                found[f"catalog:{language}"] = self.file(catalog)
            found["factsheet"] = cache.code_fingerprint()
            self.cache[key] = found
        return self.cache[key]

    def record(self, record, language: str) -> str:
        """SHA-256 of what one record says to readers of `language`."""
        key = (id(record), language)
        if key not in self.cache:
            plain = json.dumps(_plain(record, language), sort_keys=True, ensure_ascii=False, default=str)
            self.cache[key] = hashlib.sha256(plain.encode()).hexdigest()
        return self.cache[key]


# Fields that say where a record was written, or how the desk sends mail: never what a reader sees.
_NOT_SHOWN = frozenset({"loc", "quote_loc", "mail"})


def _plain(value, language: str):
    """A record as JSON-ready data: its fields without places in files, its texts in `language` only."""
    if isinstance(value, m.Text):
        translation = value.translations.get(language)
        return {"source": value.source, "translation": _plain(translation, language) if translation else None}
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name), language) for f in dataclasses.fields(value) if f.name not in _NOT_SHOWN}
    if isinstance(value, dict):
        return {str(key): _plain(item, language) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item, language) for item in value]
    return value


def _label(path, root: Path) -> str:
    """An input's name in the manifest: relative to the project, or `factsheet:NAME` for a file shipped with factsheet."""
    if not isinstance(path, Path):
        return f"factsheet:{path.name}"
    try:  # a project's own files are named below it without asking the disk where links lead
        return path.relative_to(root).as_posix()
    except ValueError:
        pass
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def combined_hash(inputs: dict, job: Job) -> str:
    """One hash over a PDF's inputs and the request that made it."""
    digest = hashlib.sha256(f"{job.sheet.id}\0{job.language}\0{job.template}{'' if job.format == 'pdf' else chr(0) + job.format}"
                            .encode())
    for name in sorted(inputs):
        digest.update(f"{name}\0{inputs[name]}\0".encode())
    return digest.hexdigest()


def safe_output_path(out_dir: Path, filename: str) -> Path:
    """The path for an output file, refusing any name that would leave the output folder."""
    path = (out_dir / filename).resolve()
    if path.parent != out_dir.resolve() or not filename.endswith((".pdf", ".html")):
        raise BuildRequestError(f"refusing to write {filename!r} outside {out_dir}")
    return path


def atomic_write(path: Path, data: bytes) -> None:
    """Write a file by writing a temporary file beside it and renaming it into place."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove_stale_staging(out_dir: Path) -> None:
    """Remove staging folders left by builds that were killed (their process is gone)."""
    for folder in out_dir.glob(".staging-*"):
        pid = folder.name.split("-")[1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_manifest(out_dir: Path) -> dict:
    """The previous build's manifest entries by file name, or {} if there is none or it is unreadable."""
    return _read_manifest(out_dir)[0]


def _read_manifest(out_dir: Path) -> tuple[dict, dict]:
    """The manifest's entries, and each entry's line as written, so that an unchanged one is written back as it was.

    (Encoding 4,000 entries afresh took a twentieth of a second in every build that changed one PDF.)
    """
    try:
        text = (out_dir / MANIFEST).read_text(encoding="utf-8")
        data = json.loads(text)
        entries = {name: entry for name, entry in data["outputs"].items() if isinstance(entry, dict)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}, {}
    lines = {}
    for line in text.split("\n")[1:-2]:
        name, _, entry = line.strip().rstrip(",").partition(": ")
        lines[name] = entry
    written = {json.loads(name): line for name, line in lines.items() if name.startswith('"')}
    return entries, written if len(written) == len(entries) == len(lines) and written.keys() == entries.keys() else {}


def timestamp_for(sheet: m.Sheet, source_date_epoch: int | None) -> dt.datetime:
    """The date written into a PDF: SOURCE_DATE_EPOCH when given, else the sheet's as-of day; never the clock."""
    if source_date_epoch is not None:
        return dt.datetime.fromtimestamp(source_date_epoch, dt.timezone.utc)
    return dt.datetime.combine(sheet.as_of.earliest(), dt.time())


def build(valid: ValidProject, sheets: list[str] | None = None, languages: list[str] | None = None,
          templates: list[str] | None = None, out_dir: Path | None = None, *, formats: list[str] | None = None,
          source_date_epoch: int | None = None,
          progress: Callable[[int, int, str], None] | None = None, strict: bool = False, force: bool = False,
          jobs: int = 1, clock: Callable[[], float] = time.perf_counter, headstart: Headstart | None = None) -> BuildResult:
    """Build the requested PDFs of a checked project into `out_dir` (default: the project's out/); return what was written.

    A PDF whose inputs have not changed since the manifest recorded it, and
    whose file is intact, is skipped unless `force`; one that renders
    byte-identical to its file is left untouched. `jobs` > 1 renders in
    that many worker processes; the bytes are the same as a serial build.
    With a `headstart` (started before the project was loaded), this process
    and the head start render together instead.
    With `strict`, a missing or stale translation is an error instead of a
    visibly marked fallback to the source text.
    """
    started = clock()
    if not isinstance(valid, ValidProject):
        raise TypeError("build() takes a ValidProject: pass factsheet.validated(load_project(root))")
    project = valid.project
    problems = list(valid.problems)
    planned = plan(project, sheets, languages, templates, formats)
    if strict:
        # Only the languages being built: a Russian build does not wait for the Korean translation.
        built = {job.language for job in planned}
        problems = [replace(p, severity=Severity.ERROR) if p.code in TRANSLATION_CODES and p.language in built else p
                    for p in problems]
        if any(p.is_error for p in problems):
            raise BuildFailed(problems)
    out_dir = (out_dir or project.root / "out").resolve()
    loaded = _load_templates(project, {job.template for job in planned})
    hasher = InputHasher(project)
    try:
        if out_dir.exists():
            repair_output(out_dir)
        previous, written = _read_manifest(out_dir)
        stamps = Stamps(out_dir)
        work, kept = [], []
        for job in planned:
            inputs = hasher.inputs(job, loaded[job.template])
            if source_date_epoch is not None:
                inputs["SOURCE_DATE_EPOCH"] = str(source_date_epoch)
            task = Task(job, inputs, combined_hash(inputs, job))
            entry = previous.get(job.filename)
            if not force and _stale(job.filename, entry, task.input_hash, out_dir, stamps) is None:
                kept.append(entry)
            else:
                work.append(task)
        outputs: list[Output] = []
        if work:
            out_dir.mkdir(parents=True, exist_ok=True)
            _remove_stale_staging(out_dir)
            staging = Path(tempfile.mkdtemp(dir=out_dir, prefix=f".staging-{os.getpid()}-"))
            try:
                timings = RenderTimes(out_dir)
                times = [0.0] * len(work)
                outputs = _render_all(project, work, loaded, staging, source_date_epoch, progress, jobs, headstart,
                                      timings.order(work), times)
                timings.save(work, times)
                # A PDF that came out byte-identical stays untouched (same file, same time), so nothing downstream
                # sees a change; its manifest entry still takes the new input hash.
                same = {o.file for o in outputs
                        if o.file in previous and previous[o.file].get("sha256") == o.sha256
                        and stamps.intact(o.file, previous[o.file])}
                previous = _commit(outputs, staging, out_dir, previous, written, unchanged=same)
                stamps.written([o.file for o in outputs if o.file not in same], previous)
                kept += [entry for entry in outputs if entry.file in same]
                outputs = [output for output in outputs if output.file not in same]
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        removed = _remove_deleted_sheets(out_dir, project, previous) if out_dir.is_dir() else []
        stamps.save(previous)
    except OSError as exc:
        raise describe_os_error(exc, "write the PDFs into" if exc.filename else f"write the PDFs into {out_dir}") from None
    warnings = [p for p in problems if p.severity is Severity.WARNING]
    return BuildResult(outputs, out_dir, clock() - started, warnings, skipped=len(kept), removed=removed)


def _stale(filename: str, entry: dict | None, input_hash: str, out_dir: Path, stamps: "Stamps") -> str | None:
    """Why a build would make this PDF again (missing, older than its inputs, not the manifest's bytes), or None."""
    if entry is None or not (out_dir / filename).is_file():
        return f"{filename} is missing"
    if entry.get("input_hash") != input_hash:
        return f"{filename} is older than its inputs"
    if not stamps.intact(filename, entry):
        return f"{filename} does not match the manifest"
    return None


def out_of_date(valid: ValidProject, templates: set, out_dir: Path) -> tuple[dict, list[str]]:
    """The manifest, and why each PDF of these templates that a build would make again is out of date.

    The build's own test, for those who use its PDFs (send); raises BuildFailed when a template has problems.
    """
    project = valid.project
    if out_dir.is_dir():
        repair_output(out_dir)  # a build killed while committing left the manifest behind the PDFs
    manifest = read_manifest(out_dir)
    loaded = _load_templates(project, set(templates))
    hasher, stamps = InputHasher(project), Stamps(out_dir)
    reasons = [_stale(job.filename, manifest.get(job.filename), combined_hash(hasher.inputs(job, loaded[job.template]), job),
                      out_dir, stamps) for job in plan(project, None, None, sorted(templates))]
    return manifest, [reason for reason in reasons if reason]


@dataclass(frozen=True)
class Task:
    """A job with the inputs it will be made from."""

    job: Job
    inputs: dict
    input_hash: str


def _load_templates(project: m.Project, names: set) -> dict:
    loaded, errors = {}, []
    for name in sorted(names):
        try:
            loaded[name] = load_template(project.root / "templates", name, project.readable_roots())
        except TemplateError as exc:
            errors.extend(exc.problems)
    if errors:
        raise BuildFailed(errors)
    return loaded


class Stamps:
    """The size, modification time, inode and hash of each PDF in out/ when a build last confirmed it (in the cache).

    A PDF whose size, time and inode are as stamped with the hash its manifest entry
    names is taken as intact, as make and git judge; any other is hashed. Hashing every
    PDF of a thousand-sheet project took a fifth of a no-op build. Only a PDF whose
    bytes a build wrote or hashed is stamped, so a stamp never vouches for unread bytes.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.key = _folder_key(out_dir)
        stored = cache.read("stamps", self.key)
        self.old = stored if isinstance(stored, dict) else {}
        self.new = dict(self.old)

    def intact(self, name: str, entry: dict) -> bool:
        """True when the PDF on disk is the one the manifest entry describes."""
        try:
            info = (self.out_dir / name).stat()
            if info.st_size != entry.get("bytes"):
                return False
            stamp = [info.st_size, info.st_mtime_ns, info.st_ino, entry.get("sha256")]
            if self.old.get(name) == stamp:
                return True
            if hashlib.sha256((self.out_dir / name).read_bytes()).hexdigest() != entry.get("sha256"):
                return False
        except OSError:
            return False
        self.new[name] = stamp
        return True

    def written(self, names: list, entries: dict) -> None:
        """Stamp the PDFs this build has just put in place."""
        for name in names:
            info = (self.out_dir / name).stat()
            self.new[name] = [info.st_size, info.st_mtime_ns, info.st_ino, entries[name]["sha256"]]

    def save(self, entries: dict) -> None:
        """Keep the stamps of the PDFs the manifest's `entries` still describe."""
        kept = {name: stamp for name, stamp in self.new.items() if name in entries}
        if kept != self.old:
            cache.write("stamps", self.key, kept)


def _folder_key(out_dir: Path) -> str:
    """The cache key of what is kept about one output folder."""
    return hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()


class RenderTimes:
    """How long each PDF of an output folder took to render the last time (in the cache), so the longest go first.

    A build's processes take its PDFs in turn; when a slow one (a sheet laid out
    again to fill its last page) comes last, one process works on alone while the
    others wait. Taken longest first, as the last build timed them, they keep every
    process busy to the end, as ninja orders its jobs from its log.
    """

    def __init__(self, out_dir: Path) -> None:
        self.key = _folder_key(out_dir)
        stored = cache.read("times", self.key)
        self.known = stored if isinstance(stored, dict) else {}

    def order(self, work: list) -> list[int]:
        """The tasks' indices, longest first, those never timed before all others (any may be the longest).

        A sheet's PDFs stay together, its slowest first, and sheets go in order of their slowest PDF: a
        process that renders one of a sheet's languages has that sheet built and goes on with the next.
        """
        known = self.known

        def cost(index: int) -> tuple:
            name = work[index].job.filename
            return (name in known, -known.get(name, 0.0))

        slowest: dict = {}
        for index in range(len(work)):
            sheet = work[index].job.sheet.id
            slowest[sheet] = min(slowest.get(sheet, (True, 0.0)), cost(index))
        return sorted(range(len(work)), key=lambda index: (slowest[work[index].job.sheet.id],
                                                           work[index].job.sheet.id, cost(index)))

    def save(self, work: list, times: list) -> None:
        """Remember how long each of these tasks took."""
        updated = {**self.known, **{task.job.filename: round(seconds, 4) for task, seconds in zip(work, times)}}
        if updated != self.known:
            cache.write("times", self.key, updated)


# Worker processes inherit this through fork instead of receiving it pickled with every task.
_SHARED: dict = {}


def _render_all(project, work: list, templates, staging: Path, source_date_epoch, progress, jobs: int,
                headstart: Headstart | None, order: list, times: list) -> list[Output]:
    """Every task's manifest entry, rendered in `order`, with each one's seconds in `times`; raises BuildFailed."""
    results: list = [None] * len(work)
    with shared_work(project, work, templates, staging, source_date_epoch):
        if headstart is not None:
            headstart.render(work, order, templates, staging, results, times, progress)
        elif jobs > 1 and len(work) > 1 and "fork" in multiprocessing.get_all_start_methods():
            _render_in_workers(project, templates, work, order, results, times, progress, jobs)
        else:
            for done, index in enumerate(order, 1):
                _, results[index], times[index] = render_task(index)
                if progress and isinstance(results[index], Output):
                    progress(done, len(work), results[index].file)
    errors = [r for r in results if isinstance(r, Problem)]
    if errors:
        raise BuildFailed(errors)
    return results


@contextlib.contextmanager
def shared_work(project: m.Project, work: list, templates: dict, staging: Path, source_date_epoch: int | None):
    """Make `work` what render_task renders, in this process and in any forked from it, for the block."""
    _SHARED.update(project=project, templates=templates, staging=staging, source_date_epoch=source_date_epoch, work=work,
                   editions=_read_editions(project.root, {task.job.sheet.id for task in work}), resolved={})
    try:
        yield
    finally:
        _SHARED.clear()


def _read_editions(root: Path, sheet_ids: set) -> dict:
    """The recorded editions of these sheets, by sheet id; one damaged file stops the build before anything renders."""
    from .editions import editions

    found, problems = {}, []
    for sheet_id in sorted(sheet_ids):
        try:
            found[sheet_id] = editions(root, sheet_id)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise BuildFailed(problems)
    return found


def _render_in_workers(project, templates, work: list, order: list, results: list, times: list, progress,
                       jobs: int) -> None:
    """Render in forked worker processes; a worker that dies fails the build instead of hanging it."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from reportlab.pdfbase.ttfonts import TTFError

    try:
        _preload(project, templates, work)
    except TTFError:
        pass  # each worker reports the unreadable font as a problem of its PDF
    # Everything loaded so far lives as long as the workers: keep the garbage collector
    # from walking (and so copying) those inherited pages in every worker.
    gc.freeze()
    context = multiprocessing.get_context("fork")
    chunk = max(1, min(16, len(work) // (jobs * 8)))
    try:
        with _unfreezing(), ProcessPoolExecutor(min(jobs, len(work)), mp_context=context,
                                                initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
            for done, (index, result, seconds) in enumerate(pool.map(render_task, order, chunksize=chunk), 1):
                results[index], times[index] = result, seconds
                if progress and isinstance(result, Output):
                    progress(done, len(work), result.file)
    except BrokenProcessPool:
        raise EnvironmentProblem("a worker process died while rendering (killed, or out of memory); nothing was "
                                 "written: run the build again, or with -j 1") from None


def die_with_parent(parent: int) -> None:
    """Make a worker end when the build that started it ends, however it ends (Linux; elsewhere it checks once)."""
    import signal

    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


@contextlib.contextmanager
def _unfreezing():
    """Give frozen objects back to the collector afterwards, so a long-running watch does not leak."""
    try:
        yield
    finally:
        gc.unfreeze()


def _preload(project, templates, work) -> None:
    """Load fonts and catalogs once in the parent, so every forked worker starts with them (for PDFs)."""
    languages = {task.job.language for task in work if task.job.format == "pdf"}
    if languages:
        warm_up(project, templates.values(), languages)


def warm_up(project: m.Project, templates, languages) -> None:
    """Import the renderer and load the fonts, catalogs and hyphenation dictionaries these languages need, ahead of the first build."""
    from . import hyphenation, render  # noqa: F401 (render imported for its side effect: ReportLab loaded once)
    from .fonts import Fonts
    from .i18n import translator
    from .languages import script_of
    from .resolve import typography_for

    for language in languages:
        translator(language, project.locale_dirs)
        dictionary = typography_for(project, language).hyphenation
        if dictionary:
            hyphenation.load(dictionary)
        for template in templates:
            Fonts(template, script_of(language))


@dataclass(frozen=True)
class Prepared:
    """A task made ready to render in any process: its sheet resolved for the language, as the edition it is."""

    task: Task
    resolved: object  # resolve.ResolvedSheet
    timestamp: dt.datetime  # written into the PDF as its date
    size: str  # the sheet's size in words, for messages about layouts it does not fit


def prepare(index: int) -> Prepared:
    """The index-th task of the shared work (see shared_work), with what render_prepared needs from the project."""
    from .editions import as_edition
    from .resolve import resolve_sheet

    shared = _SHARED
    task = shared["work"][index]
    project = shared["project"]
    sheet = project.sheets[task.job.sheet.id]
    # A sheet in one language is resolved once, whichever templates (and formats) show it: the work goes
    # sheet by sheet (RenderTimes.order), so only the current sheet's languages are kept.
    kept = shared["resolved"]
    if sheet.id not in kept:
        kept.clear()
        kept[sheet.id] = {}
    resolved = kept[sheet.id].get(task.job.language)
    if resolved is None:
        resolved = as_edition(project, resolve_sheet(project, sheet, task.job.language), shared["editions"][sheet.id])
        kept[sheet.id][task.job.language] = resolved
    return Prepared(task, resolved, timestamp_for(sheet, shared["source_date_epoch"]), _size(sheet))


def render_task(index: int) -> tuple:
    """Render the index-th task of the shared work into the staging folder: (index, manifest entry or problem, seconds).

    Only the index crosses the process boundary; the work itself was inherited.
    """
    return (index, *timed_render(prepare(index), _SHARED["templates"], _SHARED["staging"]))


def timed_render(prepared: Prepared, templates: dict, staging: Path) -> tuple:
    """(render_prepared's result, the seconds it took), for RenderTimes."""
    started = time.perf_counter()
    result = render_prepared(prepared, templates, staging)
    return result, time.perf_counter() - started


def render_prepared(prepared: Prepared, templates: dict, staging: Path) -> Output | Problem:
    """Render one prepared task into the staging folder: its manifest entry, or the problem that stopped it."""
    from reportlab.pdfbase.ttfonts import TTFError
    from reportlab.platypus.doctemplate import LayoutError

    from .fonts import MissingGlyph
    from .render import render_sheet

    task, resolved = prepared.task, prepared.resolved
    job = task.job
    template = templates[job.template]
    if job.format == "html":
        return _write_html(resolved, template, task, staging)
    try:
        rendered = render_sheet(resolved, template, task.input_hash[:8], prepared.timestamp)
    except MissingGlyph as exc:
        return Problem(job.sheet.loc, Severity.ERROR, "missing-glyph",
                       f"sheet '{job.sheet.id}' ({job.language}): no configured font has a glyph for "
                       f"{exc.char!r} (U+{ord(exc.char):04X}) in {exc.where}: add a font family that has it "
                       f"to templates/{FONTS_FILE}, or change the text")
    except TTFError as exc:
        return Problem(Loc(Path(str(template.fonts_path)), 1, 1), Severity.ERROR, "bad-font",
                       f"a font file named here cannot be read by ReportLab ({exc}): use a static .ttf file "
                       "with TrueType outlines")
    except (LayoutError, ValueError) as exc:
        # ReportLab's words for "this does not fit": a block wider or taller than the text area.
        return Problem(job.sheet.loc, Severity.ERROR, "does-not-fit",
                       f"sheet '{job.sheet.id}' ({job.language}) cannot be laid out with template "
                       f"'{job.template}' ({prepared.size}): a block does not fit in the text area "
                       f"({str(exc).splitlines()[0][:120]}); shorten the sheet or widen the text area")
    if rendered.pages > template.max_pages:
        return Problem(job.sheet.loc, Severity.ERROR, "too-long",
                       f"sheet '{job.sheet.id}' ({job.language}) needs {rendered.pages} pages but template "
                       f"'{job.template}' allows {template.max_pages} ({prepared.size}): shorten the sheet, "
                       f"mark fewer facts key, "
                       f"or use a longer template")
    safe_output_path(staging, job.filename).write_bytes(rendered.data)
    return Output(job.filename, job.sheet.id, job.language, job.template, rendered.pages, len(rendered.data),
                  hashlib.sha256(rendered.data).hexdigest(), task.input_hash, task.inputs,
                  resolved.edition_number, resolved.published)


def _write_html(resolved, template, task: "Task", staging: Path) -> Output:
    """The HTML edition of one sheet and language, staged like a PDF."""
    from .web import render_html

    job = task.job
    marking = template.marking.translations.get(job.language)
    data = render_html(resolved, template.colours,
                       marking.text if marking is not None else resolved.translator.gettext(template.marking.source))
    safe_output_path(staging, job.filename).write_bytes(data)
    return Output(job.filename, job.sheet.id, job.language, job.template, 0, len(data), hashlib.sha256(data).hexdigest(),
                  task.input_hash, task.inputs, resolved.edition_number, resolved.published)


JOURNAL = ".commit.json"


def _size(sheet: m.Sheet) -> str:
    """A sheet's size in words, for messages about layouts it does not fit."""
    facts = sum(len(section.facts) for section in sheet.sections)
    claims = sum(len(figure.claims) for figure in sheet.figures)
    counts = ((facts, "fact", "facts"), (len(sheet.figures), "figure", "figures"), (claims, "claim", "claims"),
              (len(sheet.timeline), "timeline entry", "timeline entries"))
    return ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts)


def _commit(outputs: list[Output], staging: Path, out_dir: Path, previous: dict, written: dict,
            unchanged: set = frozenset()) -> dict:
    """Move every staged PDF into place, except the `unchanged` ones already there, then record them in the manifest.

    The new entries are written first, as a journal: a build killed while
    renaming leaves it behind, and repair_output() then tells, by hash, which
    PDFs are the new ones and which are still the old. `written` holds the manifest's lines as read.
    Returns the manifest's entries.
    """
    planned = {output.file: asdict(output) for output in outputs}
    entries = {name: entry for name, entry in previous.items() if name in planned or (out_dir / name).is_file()}
    entries.update(planned)  # kept PDFs keep their entries
    data = _manifest_bytes(entries, {name: line for name, line in written.items() if name not in planned})
    atomic_write(out_dir / JOURNAL, _manifest_bytes(planned))
    for output in outputs:
        if output.file not in unchanged:
            os.replace(staging / output.file, safe_output_path(out_dir, output.file))
    atomic_write(out_dir / MANIFEST, data)
    (out_dir / JOURNAL).unlink()
    return entries


def _manifest_bytes(entries: dict, written: dict | None = None) -> bytes:
    """The manifest as JSON with one PDF per line: a diff shows which PDFs changed, and it is written quickly.

    `written` holds the lines of entries unchanged since the manifest was read. (Indented JSON goes
    through Python's slow encoder: at 4,000 PDFs that took a third of a second per write.)
    """
    written = written or {}
    lines = [f"  {json.dumps(name, ensure_ascii=False)}: {written.get(name) or json.dumps(entry, ensure_ascii=False)}"
             for name, entry in sorted(entries.items())]
    return (f'{{"factsheet": {json.dumps(__version__)}, "outputs": {{\n' + ",\n".join(lines) + "\n}}\n").encode()


def _remove_deleted_sheets(out_dir: Path, project: m.Project, entries: dict) -> list[str]:
    """Delete the PDFs, and manifest entries, of sheets the project no longer has (`entries` is the manifest's)."""
    gone = sorted(name for name, entry in entries.items() if entry.get("sheet") not in project.sheets)
    if not gone:
        return []
    for name in gone:
        (out_dir / name).unlink(missing_ok=True)
        del entries[name]
    atomic_write(out_dir / MANIFEST, _manifest_bytes(entries))
    return gone


def repair_output(out_dir: Path) -> bool:
    """Make the manifest agree with the PDFs after a build was killed while committing; True if it had to.

    Each PDF named in the interrupted commit's journal or the old manifest is
    described by whichever of the two entries its bytes match, and by none if
    it matches neither.
    """
    journal = out_dir / JOURNAL
    if not journal.is_file():
        return False
    try:
        planned = json.loads(journal.read_text(encoding="utf-8"))["outputs"]
    except (OSError, ValueError, KeyError, TypeError):
        planned = {}
    old = read_manifest(out_dir)
    entries = {}
    for name in sorted(set(planned) | set(old)):
        path = out_dir / name
        if not path.is_file() or not name.endswith((".pdf", ".html")):
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        for entry in (planned.get(name), old.get(name)):
            if isinstance(entry, dict) and entry.get("sha256") == digest:
                entries[name] = entry
                break
    atomic_write(out_dir / MANIFEST, _manifest_bytes(entries))
    journal.unlink()
    return True
