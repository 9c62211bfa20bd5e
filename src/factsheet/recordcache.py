"""Validated records kept between runs: a record file whose bytes, and translations, are as before is not read again.

At a thousand sheets, reading and validating every YAML file and attaching its
PO translations took most of a `check`, a no-op `build` and a one-fact edit.
An entry holds one file's records (with their translations) and the problems
reading it found, keyed by the file's bytes and everything its reading depends
on; it also names the PO files whose translations it carries, with their hashes,
and is used only while they are unchanged.

Records are stored as plain values for `marshal` (see cache.py), so reading an
entry can build only the record classes listed here, never run code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import stat
import time
from decimal import Decimal
from pathlib import Path

from . import cache
from . import model as m
from .problems import Loc, Problem, Severity

CLASSES = {cls.__name__: cls for cls in (
    m.PartialDate, m.NotBefore, m.Translation, m.Text, m.Attribution, m.Citation, m.Value, m.Correction, m.Claim,
    m.Figure, m.Fact, m.Contrast, m.Section, m.Event, m.Sheet, m.Source, m.Actor, Problem)}
FIELDS = {name: tuple(f.name for f in dataclasses.fields(cls)) for name, cls in CLASSES.items()}


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What reading one record file gave: its records and the problems found in it."""

    actors: list
    sources: list
    sheet: m.Sheet | None  # None when the file holds no sheet, or when `build` makes it on first use
    summary: m.SheetSummary | None  # the sheet's summary, when the file holds a sheet
    problems: list
    catalogs: dict  # PO path (relative to the project) -> SHA-256 of its bytes, or None when absent
    build: object = None  # makes the sheet from the cache entry; see model.SheetTable


class Unencodable(TypeError):
    """A value of a type the cache does not store; the file is then simply read each time."""


def key_for(digest: str, context: str) -> str:
    """The cache key of a record file, by the SHA-256 of its bytes, read in `context` (languages)."""
    # factsheet's own code is part of the key: a new version (or a changed encoding) reads every file afresh.
    return hashlib.sha256(f"{cache.code_fingerprint()}\0{context}\0{digest}".encode()).hexdigest()


def recall(key: str, path: Path, root: Path, reread, hashes: FileHashes) -> Outcome | None:
    """The outcome stored for this file, if its PO files are still the ones its translations came from.

    Its sheet is kept apart and built on first use, as `check` and a no-op build need only its summary;
    should its entry be gone by then, `reread()` reads it from the file instead.
    """
    stored = cache.read("records", key)
    if not isinstance(stored, tuple) or len(stored) != 6:
        return None
    summary, actors, sources, has_sheet, problems, catalogs = stored
    if not isinstance(catalogs, dict) or any(hashes.of(root / name, follow=False) != digest
                                             for name, digest in catalogs.items()):
        return None
    if has_sheet and not cache.has("sheets", key):
        return None
    try:
        actors, sources, problems = (decode(value, path) for value in (actors, sources, problems))
        summary = _summary(summary, path) if summary is not None else None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return None  # written by another version: read the file afresh
    build = (lambda: _stored_sheet(key, path) or reread()) if has_sheet else None
    return Outcome(actors, sources, None, summary, problems, catalogs, build)


def _stored_sheet(key: str, path: Path) -> m.Sheet | None:
    stored = cache.read("sheets", key)
    try:
        return decode(stored, path) if stored is not None else None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return None


def remember(key: str, outcome: Outcome, path: Path) -> None:
    """Store a file's outcome, its sheet in an entry of its own; a value the cache cannot store is simply not kept."""
    summary = outcome.summary
    try:
        value = (None if summary is None else (summary.id, summary.loc.line, summary.loc.column, list(summary.languages),
                                               list(summary.actors), list(summary.sources), list(summary.inner_ids)),
                 encode(outcome.actors, path), encode(outcome.sources, path), outcome.sheet is not None,
                 encode(outcome.problems, path), outcome.catalogs)
        sheet = encode(outcome.sheet, path) if outcome.sheet is not None else None
    except (Unencodable, RecursionError):
        return
    if sheet is not None:
        cache.write("sheets", key, sheet)
    cache.write("records", key, value)


def _summary(plain: tuple, path: Path) -> m.SheetSummary:
    ident, line, column, languages, actors, sources, inner = plain
    return m.SheetSummary(ident, Loc(path, line, column), tuple(languages), tuple(actors), tuple(sources),
                          tuple(tuple(item) for item in inner))


class FileHashes:
    """SHA-256 of a project's record and PO files, taken from the last run while a file's size, time and inode hold.

    As make and git judge, a file whose size, modification time and inode are as they were is
    unchanged; so a run reads only the files edited since the last. A file changed in the last two
    seconds is not stamped, as a second edit in the same tick of the clock could keep its time.
    """

    def __init__(self, root: Path) -> None:
        self.key = hashlib.sha256(str(root).encode()).hexdigest()
        stored = cache.read("filehashes", self.key)
        self.known = stored if isinstance(stored, dict) else {}
        self.seen: dict = {}
        self.recent = time.time_ns() - 2_000_000_000

    def of(self, path: Path, follow: bool = True) -> str | None:
        """The file's SHA-256; None when it does not exist, "link" for a link when not `follow`, or "unreadable"."""
        name = str(path)
        try:
            info = os.stat(name, follow_symlinks=follow)
            if stat.S_ISLNK(info.st_mode):
                return "link"  # a linked catalog never matches a stored one: it is read each time
            stamp = [info.st_size, info.st_mtime_ns, info.st_ino]
            old = self.known.get(name)
            digest = old[3] if isinstance(old, list) and old[:3] == stamp else hashlib.sha256(path.read_bytes()).hexdigest()
        except FileNotFoundError:
            return None
        except OSError:
            return "unreadable"
        if info.st_mtime_ns < self.recent:
            self.seen[name] = [*stamp, digest]
        return digest

    def save(self) -> None:
        """Keep the stamps of the files seen in this run for the next."""
        if self.seen != self.known:
            cache.write("filehashes", self.key, self.seen)


def encode(value, path: Path):
    """A record, or any value in one, as nested plain values; places in `path` are stored without it."""
    kind = type(value)
    if value is None or kind in (str, int, bool, float):
        return value
    if kind is Loc:
        return ("L", None if value.path == path else str(value.path), value.line, value.column)
    if kind is tuple:
        return ("T", [encode(item, path) for item in value])
    if kind is list:
        return [encode(item, path) for item in value]
    if kind is dict:
        return {str(key): encode(item, path) for key, item in value.items()}
    if value is m.UNKNOWN:
        return ("U",)
    if kind is Decimal:
        return ("N", str(value))
    if kind is dt.datetime:
        return ("W", value.isoformat())
    if kind is Severity:
        return ("S", value.value)
    name = kind.__name__
    if CLASSES.get(name) is kind:
        return ("D", name, [encode(getattr(value, field), path) for field in FIELDS[name]])
    raise Unencodable(f"{kind.__name__} values are not cached")


def decode(value, path: Path):
    """What encode() stored, with places in `path` given back their path."""
    return _Decoder(path).value(value)


class _Decoder:
    """Rebuilds records; plain values are passed over without a call, and each path is made once.

    A thousand sheets hold about a million values, so the calls saved here are most of the time a cached load takes.
    """

    PLAIN = frozenset({str, int, bool, float, type(None)})

    def __init__(self, path: Path) -> None:
        self.paths = {None: path}

    def value(self, value):
        """One stored value, rebuilt."""
        kind = type(value)
        if kind is list:
            return self.items(value)
        if kind is dict:
            plain = self.PLAIN
            return {key: item if type(item) in plain else self.value(item) for key, item in value.items()}
        if kind is not tuple:
            return value
        tag = value[0]
        if tag == "D":
            cls = CLASSES[value[1]]
            record = object.__new__(cls)
            for field, item in zip(FIELDS[value[1]], self.items(value[2]), strict=True):
                object.__setattr__(record, field, item)  # frozen records: set as their __init__ would
            return record
        if tag == "L":
            where = self.paths.get(value[1])
            if where is None:
                where = self.paths[value[1]] = Path(value[1])
            return Loc(where, value[2], value[3])
        if tag == "T":
            return tuple(self.items(value[1]))
        if tag == "U":
            return m.UNKNOWN
        if tag == "N":
            return Decimal(value[1])
        if tag == "W":
            return dt.datetime.fromisoformat(value[1])
        if tag == "S":
            return Severity(value[1])
        raise ValueError(f"unknown tag {tag!r}")

    def items(self, values: list) -> list:
        """A list of stored values, rebuilt."""
        plain = self.PLAIN
        return [item if type(item) in plain else self.value(item) for item in values]
