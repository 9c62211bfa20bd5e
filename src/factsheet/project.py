"""Find a project folder and load every record in it, keeping every problem."""

from __future__ import annotations

import difflib
from pathlib import Path

from . import model as m
from .errors import RequestError
from .problems import Loc, Problem, Problems, Severity
from .pofiles import attach_translations
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
    """A problem when `path` is a symlink (or lies below one) that leads outside the project."""
    if m.is_inside(path, (root.resolve(),)):
        return None
    return Problem(Loc(path, 1, 1), Severity.ERROR, "outside-project",
                   f"this file is a link to {Path(path).resolve()}, outside the project: factsheet reads only files "
                   "inside the project; copy the file in instead of linking to it")


def load_project(root: str | Path) -> m.Project:
    """Read and validate every record under `root`/factsheets; problems are kept on the project."""
    root = Path(root)
    root = find_root(root) if not (root / "factsheets" / SETTINGS_FILE).is_file() else root.resolve()
    problems = Problems()
    files = []
    for path in record_files(root):
        refused = outside_link(path, root)
        if refused is None:
            files.append(path)
        else:
            problems.items.append(refused)
    if not files or files[0] != root / "factsheets" / SETTINGS_FILE:
        raise ProjectNotFound(f"{root / 'factsheets' / SETTINGS_FILE} leads outside the project: copy the file in")
    settings = _load_settings(files[0], problems)
    source_language = settings.source_language if settings else "en"
    reader = Reader(problems, source_language, legacy=[])
    default_languages = settings.all_languages if settings else (source_language,)
    actors: dict = {}
    sources: dict = {}
    sheets: dict = {}
    ids: dict = {}
    unreadable = []
    for path in files[1:]:
        before = len(problems.items)
        tree = read_yaml(path, problems)
        if tree is None or any(p.code == "yaml-syntax" for p in problems.items[before:]):
            unreadable.append(path)  # what it defines may be missing: references into it are not reported one by one
        if tree is None:
            continue
        if not isinstance(tree, Map):
            problems.error(tree.loc, "wrong-type", f"expected a mapping with one of the keys {', '.join(TOP_LEVEL)}")
            continue
        _check_top_level(tree, problems)
        for index, node in enumerate(_list(tree, "actors", problems), 1):
            _keep(read_actor(reader, node, f"actor {index}"), actors, ids, problems, "actor")
        for index, node in enumerate(_list(tree, "sources", problems), 1):
            _keep(read_source(reader, node, f"source {index}"), sources, ids, problems, "source")
        if tree.get("sheet") is not None:
            sheet = read_sheet(reader, tree.get("sheet"), "sheet", default_languages)
            _keep(sheet, sheets, ids, problems, "sheet")
            if sheet is not None:
                _register_inner_ids(sheet, ids, problems)
    project = m.Project(root, settings, actors, sources, sheets, files, problems.items, unreadable, reader.legacy)
    _report_legacy(reader.legacy, problems)
    attach_translations(project, problems)
    return project


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


def _register_inner_ids(sheet: m.Sheet, ids: dict, problems: Problems) -> None:
    for record, what in inner_records(sheet):
        if record.id:
            _claim_id(record.id, record.loc, what, ids, problems)


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
