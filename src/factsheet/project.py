"""Find a project folder and load every record in it, keeping every problem."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
from pathlib import Path

from . import collector
from . import model as m
from . import recordcache
from .errors import RequestError
from .problems import Loc, Problem, Problems, Severity
from .pofiles import SHARED, attach_sheet_translations, attach_translations, po_path
from .validate import Reader, read_actor, read_settings, read_sheet, read_source
from .yamlio import Map, read_yaml

SETTINGS_FILE = "settings.yaml"
TOP_LEVEL = ("actors", "sources", "sheet")


class ProjectNotFound(RequestError):
    """No factsheets/ folder with a settings file where one was expected."""


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` that holds factsheets/settings.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "factsheets" / SETTINGS_FILE).is_file():
            return folder
    raise ProjectNotFound(f"no factsheets/{SETTINGS_FILE} in {start} or any folder above it: "
                          "run 'factsheet init DIR' to start a project, or pass --project DIR")


def record_files(root: Path) -> list[Path]:
    """Every YAML file under factsheets/, in a stable order, settings first (links leading outside included)."""
    folder = root / "factsheets"
    files = sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    settings = folder / SETTINGS_FILE
    return [settings] + [p for p in files if p != settings]


def outside_link(path: Path, root: Path) -> Problem | None:
    """A problem when `path` is a symlink (or lies below one) that leads outside the project (`root`, resolved)."""
    if m.is_inside(path, (root,)):
        return None
    return Problem(Loc(path, 1, 1), Severity.ERROR, "outside-project",
                   f"this file is a link to {Path(path).resolve()}, outside the project: factsheet reads only files "
                   "inside the project; copy the file in instead of linking to it")


def load_project(root: str | Path) -> m.Project:
    """Read and validate every record under `root`/factsheets; problems are kept on the project."""
    with collector.paused():
        return _load(root)


def _load(root: str | Path) -> m.Project:
    root = Path(root)
    root = find_root(root) if not (root / "factsheets" / SETTINGS_FILE).is_file() else root.resolve()
    problems = Problems()
    files = []
    inside = root.resolve()
    for path in record_files(root):
        refused = outside_link(path, inside)
        if refused is None:
            files.append(path)
        else:
            problems.items.append(refused)
    if not files or files[0] != root / "factsheets" / SETTINGS_FILE:
        raise ProjectNotFound(f"{root / 'factsheets' / SETTINGS_FILE} leads outside the project: copy the file in")
    settings = _load_settings(files[0], problems)
    source_language = settings.source_language if settings else "en"
    default_languages = settings.all_languages if settings else (source_language,)
    targets = tuple(lang for lang in default_languages if lang != source_language)
    context = f"{source_language}\0{','.join(default_languages)}"
    actors: dict = {}
    sources: dict = {}
    sheets = m.SheetTable()
    ids: dict = {}
    unreadable, legacy, fresh, attached, hashes = [], [], [], set(), {}
    stamps = recordcache.FileHashes(root)
    # What every sheet's checks read: the settings, and the files of actors and sources (added below).
    shared = hashlib.sha256(str(stamps.of(files[0])).encode())
    for path in files[1:]:
        digest = stamps.of(path)
        key = recordcache.key_for(digest, context) if digest and len(digest) == 64 else None
        if key:
            hashes[path] = digest
        reread = functools.partial(_reread_sheet, path, root, source_language, default_languages, targets)
        outcome = recordcache.recall(key, path, root, reread, stamps) if key else None
        cacheable = outcome is not None
        if outcome is None:
            reader = Reader(Problems(), source_language, legacy=[])
            outcome, readable = _read_records(path, reader, default_languages, targets, root, stamps)
            legacy += reader.legacy
            if not readable:
                unreadable.append(path)  # what it defines may be missing: references into it are not reported one by one
            elif key and not reader.legacy and _unchanged(path, digest):
                fresh.append((key, path, outcome))
                cacheable = True
        elif outcome.summary is not None:
            attached.update(root / name for name in outcome.catalogs)
        fingerprint = hashlib.sha256(f"{key}\0{sorted(outcome.catalogs.items())}".encode()).hexdigest() \
            if cacheable else None
        hashes.update({root / name: digest for name, digest in outcome.catalogs.items()
                       if digest and len(digest) == 64})
        if outcome.actors or outcome.sources or outcome.summary is None:
            if fingerprint is None:
                shared = None  # a shared file that cannot be cached: every sheet is checked afresh
            elif shared is not None:
                shared.update(fingerprint.encode())
        problems.items.extend(outcome.problems)
        for actor in outcome.actors:
            _keep(actor, actors, ids, problems, "actor")
        for source in outcome.sources:
            _keep(source, sources, ids, problems, "source")
        if outcome.summary is not None:
            _keep_sheet(outcome, sheets, ids, problems, fingerprint)
    project = m.Project(root, settings, actors, sources, sheets, files, problems.items, unreadable, legacy,
                        shared.hexdigest() if shared is not None else None, hashes)
    _report_legacy(legacy, problems)
    attach_translations(project, problems, skip=attached)
    damaged = {p.loc.path for p in problems.items if p.code == "bad-translation-file"}
    for key, path, outcome in fresh:  # stored with the translations just attached
        if not any(root / name in damaged for name in outcome.catalogs):
            recordcache.remember(key, outcome, path)
    stamps.save()
    return project


def _unchanged(path: Path, digest: str) -> bool:
    """True when the file still has the content `digest` names: one saved again while being read is not cached."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == digest
    except OSError:
        return False


def _reread_sheet(path: Path, root: Path, source_language: str, default_languages: tuple, targets: tuple) -> m.Sheet:
    """A sheet read again from its file, with its translations: when its cache entry went missing after loading."""
    reader = Reader(Problems(), source_language, legacy=[])
    sheet = _read_records(path, reader, default_languages, targets, root, recordcache.FileHashes(root))[0].sheet
    attach_sheet_translations(root, sheet, targets, Problems())
    return sheet


def _read_records(path: Path, reader: Reader, default_languages: tuple, targets: tuple, root: Path,
                  stamps: recordcache.FileHashes) -> tuple[recordcache.Outcome, bool]:
    """Read one record file's actors, sources and sheet, with the problems found in it; and whether it could be read."""
    problems = reader.problems
    tree = read_yaml(path, problems)
    readable = tree is not None and not any(p.code == "yaml-syntax" for p in problems.items)
    actors, sources, sheet = [], [], None
    if tree is not None and not isinstance(tree, Map):
        problems.error(tree.loc, "wrong-type", f"expected a mapping with one of the keys {', '.join(TOP_LEVEL)}")
    elif tree is not None:
        _check_top_level(tree, problems)
        actors = [read_actor(reader, node, f"actor {index}") for index, node in enumerate(_list(tree, "actors", problems), 1)]
        sources = [read_source(reader, node, f"source {index}")
                   for index, node in enumerate(_list(tree, "sources", problems), 1)]
        if tree.get("sheet") is not None:
            sheet = read_sheet(reader, tree.get("sheet"), "sheet", default_languages)
    # The PO files whose translations these records will carry: the sheet's own, or the shared ones.
    name = sheet.id if sheet is not None and sheet.id else SHARED
    catalogs = {po_path(Path(), language, name).as_posix(): stamps.of(po_path(root, language, name), follow=False)
                for language in targets}
    kept = lambda records: [record for record in records if record is not None]  # noqa: E731
    summary = summarise(sheet) if sheet is not None else None
    return recordcache.Outcome(kept(actors), kept(sources), sheet, summary, problems.items, catalogs), readable


def _report_legacy(legacy: list, problems: Problems) -> None:
    """One error per file that still keeps translations in the YAML, saying how to move them."""
    first: dict = {}
    for node, _ in legacy:
        first.setdefault(node.loc.path, node.loc)
    for path, loc in first.items():
        count = sum(1 for node, _ in legacy if node.loc.path == path)
        problems.error(loc, "old-translation-layout",
                       f"this file keeps {count} text(s) with their translations in the YAML; translations now live in "
                       "PO files under translations/: run 'factsheet translations migrate' to move them (nothing is "
                       "lost, and the YAML keeps only the English)")


def _load_settings(path: Path, problems: Problems) -> m.Settings | None:
    tree = read_yaml(path, problems)
    if tree is None:
        return None
    return read_settings(Reader(problems), tree, path)


def _check_top_level(tree: Map, problems: Problems) -> None:
    for key in tree.items:
        if key not in TOP_LEVEL:
            close = difflib.get_close_matches(key, TOP_LEVEL, n=1)
            advice = f" (did you mean '{close[0]}'?)" if close else f"; a record file holds {', '.join(TOP_LEVEL)}"
            problems.error(tree.key_locs[key], "unknown-key", f"unknown top-level key '{key}'{advice}")


def _list(tree: Map, key: str, problems: Problems) -> list:
    node = tree.get(key)
    if node is None:
        return []
    items = getattr(node, "items", None)
    if not isinstance(items, list):
        problems.error(node.loc, "wrong-type", f"'{key}' must be a list of records, each starting with '- id: ...'")
        return []
    return items


def _keep(record, table: dict, ids: dict, problems: Problems, what: str) -> None:
    """Store a record by id, reporting an id used before anywhere in the project.

    A record whose id is missing or taken is still kept, under its location,
    so that the project-wide rules check its contents too.
    """
    if record is None:
        return
    if record.id and _claim_id(record.id, record.loc, what, ids, problems):
        table[record.id] = record
    else:
        table[f"{record.loc.path}:{record.loc.line}"] = record


def _claim_id(ident: str, loc: Loc, what: str, ids: dict, problems: Problems) -> bool:
    if ident in ids:
        first_what, first = ids[ident]
        problems.error(loc, "duplicate-id",
                       f"id '{ident}' of this {what} is already used by {_article(first_what)} {first_what} at "
                       f"{first.path.name}:{first.line}: ids must be unique across the project")
        return False
    ids[ident] = (what, loc)
    return True


def _keep_sheet(outcome: recordcache.Outcome, table: m.SheetTable, ids: dict, problems: Problems,
                fingerprint: str | None) -> None:
    """Store a sheet (or what builds it) under its id, claiming its id and those of the records inside it."""
    summary = dataclasses.replace(outcome.summary, fingerprint=fingerprint)
    if summary.id and _claim_id(summary.id, summary.loc, "sheet", ids, problems):
        key = summary.id
    else:
        key = f"{summary.loc.path}:{summary.loc.line}"
    table.add(key, summary, outcome.sheet, outcome.build)
    for ident, what, line, column in summary.inner_ids:
        _claim_id(ident, Loc(summary.loc.path, line, column), what, ids, problems)


def summarise(sheet: m.Sheet) -> m.SheetSummary:
    """The summary of a sheet that its table keeps (see model.SheetTable)."""
    actors, sources = records_used(sheet)
    inner = tuple((record.id, kind, record.loc.line, record.loc.column) for record, kind in inner_records(sheet)
                  if record.id)
    return m.SheetSummary(sheet.id, sheet.loc, tuple(sheet.languages), tuple(sorted(actors)), tuple(sorted(sources)),
                          inner)


def inner_records(sheet: m.Sheet):
    """Yield (record, kind) for every section, fact, figure, claim, event and contrast of a sheet."""
    for section in sheet.sections:
        yield section, "section"
        for fact in section.facts:
            yield fact, "fact"
    for figure in sheet.figures:
        yield figure, "figure"
        for claim in figure.claims:
            yield claim, "claim"
    for event in sheet.timeline:
        yield event, "event"
    for contrast in sheet.contrasts:
        yield contrast, "contrast"
    for takeaway in sheet.bottom_line:
        yield takeaway, "takeaway"


def records_used(sheet: m.Sheet) -> tuple[set, set]:
    """The ids of the actors and of the sources a sheet's records name."""
    actors, sources = set(), set()
    for record, _ in inner_records(sheet):
        sources.update(citation.source for citation in getattr(record, "citations", ()))
        attribution = getattr(record, "attribution", None)
        if attribution is not None:
            actors.update(attribution.actors)
    return actors, sources


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"
