"""Typed, frozen records: what a validated project is made of."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Union

from .problems import Loc


class Unknown:
    """The editor's explicit statement that a source does not give this value."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN = Unknown()

QUOTE_WORD_LIMIT = 40
STATUSES = ("confirmed", "reported", "claimed", "disputed")
ACTOR_KINDS = ("state-media", "news-agency", "news-outlet", "government", "official", "military",
               "intelligence-service", "researcher", "observers", "other")


@functools.lru_cache(maxsize=1 << 16)  # asked once per text and language, by check and by status
def text_hash(text: str) -> str:
    """Short, stable fingerprint of a source text, recorded by its translations."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True, order=True, slots=True)
class PartialDate:
    """A calendar day, or only its month, or only its year."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> str:
        """'day', 'month' or 'year'."""
        return "day" if self.day else "month" if self.month else "year"

    def earliest(self) -> dt.date:
        """First day this date could mean."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> dt.date:
        """Last day this date could mean."""
        month = self.month or 12
        return dt.date(self.year, month, self.day or calendar.monthrange(self.year, month)[1])

    def __str__(self) -> str:
        return "-".join(f"{p:02d}" if i else f"{p:04d}" for i, p in enumerate((self.year, self.month, self.day)) if p)


@dataclass(frozen=True, slots=True)
class NotBefore:
    """A date known only to be on or after a given day."""

    date: PartialDate

    def __str__(self) -> str:
        return f"on or after {self.date}"


When = Union[PartialDate, dt.datetime, NotBefore, Unknown]


@dataclass(frozen=True, slots=True)
class Translation:
    """One language's version of a text, and which source text it translates."""

    text: str
    loc: Loc
    translates: str | None = None
    reviewed: bool = False
    fuzzy: bool = False  # made from an earlier English, or marked as needing work
    previous: str | None = None  # the English it was made from, when that differs from the current one
    reviewer: str | None = None


@dataclass(frozen=True, slots=True)
class Text:
    """A text in the source language, with its translations by language code."""

    source: str
    loc: Loc
    translations: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.source


@dataclass(frozen=True, slots=True)
class Attribution:
    """Who makes a claim, and through whom it reached us."""

    who: tuple
    loc: Loc
    via: str | None = None

    @property
    def key(self) -> tuple:
        """What makes two attributions the same voice."""
        return (tuple(sorted(self.who)), self.via)

    @property
    def actors(self) -> tuple:
        """Every actor it names: those who say it, then the one it came through."""
        return (*self.who, *([self.via] if self.via else []))


@dataclass(frozen=True, slots=True)
class Citation:
    """A pointer into a source, optionally with verbatim evidence."""

    source: str
    loc: Loc
    quote: str | None = None
    quote_loc: Loc | None = None
    locator: str | None = None


@dataclass(frozen=True, slots=True)
class Value:
    """A claimed quantity: exact, a range, a bound or an approximation."""

    kind: str  # exact | range | more_than | at_least | fewer_than | at_most | about
    low: Decimal | None = None
    high: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Correction:
    """A dated note a reader sees: what was corrected in a record, or why it was withdrawn."""

    date: PartialDate
    note: Text
    loc: Loc


@dataclass(frozen=True, slots=True)
class Claim:
    """One party's statement of a figure."""

    id: str
    value: Value
    as_of: PartialDate
    attribution: Attribution
    citations: tuple
    loc: Loc
    note: Text | None = None
    measures: str | None = None  # what this claim counts, when the editor states it: must be its figure's
    corrections: tuple = ()
    withdrawn: Correction | None = None
    status: str = "claimed"  # a number someone states is a claim unless the desk can say more


@dataclass(frozen=True, slots=True)
class Figure:
    """A quantity that matters, with every claim about it kept apart."""

    id: str
    label: Text
    unit: Text
    claims: tuple
    loc: Loc
    disputed: bool = False
    key: bool = False
    measures: str = ""  # the one quantity every claim counts (a slug), so two quantities are never mixed


@dataclass(frozen=True, slots=True)
class Fact:
    """One statement, with its status, who says so and where it comes from."""

    id: str
    text: Text
    status: str
    attribution: Attribution
    citations: tuple
    loc: Loc
    date: PartialDate | None = None
    key: bool = False
    corrections: tuple = ()
    withdrawn: Correction | None = None


@dataclass(frozen=True, slots=True)
class Contrast:
    """Two figures that count different things, set side by side with a sentence saying what the contrast means."""

    id: str
    title: Text
    figures: tuple  # two figure ids of the same sheet
    meaning: Text
    loc: Loc


@dataclass(frozen=True, slots=True)
class Section:
    """An ordered group of facts under a heading."""

    id: str
    title: Text
    facts: tuple
    loc: Loc


@dataclass(frozen=True, slots=True)
class Event:
    """A dated timeline entry that is not already a fact."""

    id: str
    date: PartialDate
    text: Text
    citations: tuple
    loc: Loc


@dataclass(frozen=True, slots=True)
class Sheet:
    """One briefing sheet: what is known about one story as of a day."""

    id: str
    title: Text
    summary: Text
    as_of: PartialDate
    languages: tuple
    sections: tuple
    loc: Loc
    figures: tuple = ()
    timeline: tuple = ()
    contrasts: tuple = ()
    bottom_line: tuple = ()  # two or three takeaways (Facts) for the panel at the top of page 1

    def facts(self) -> list:
        """Every fact on the sheet, in order."""
        return [fact for section in self.sections for fact in section.facts]


@dataclass(frozen=True, slots=True)
class Source:
    """An article the desk cites."""

    id: str
    title: str
    publisher: str | Unknown
    published: When
    language: str
    loc: Loc
    translated_title: dict = field(default_factory=dict)
    url: str | Unknown = UNKNOWN
    author: str | Unknown = UNKNOWN
    accessed: PartialDate | Unknown = UNKNOWN
    archive: str | None = None
    note: Text | None = None  # for readers: printed in the source list, and translated
    desk_note: str | None = None  # for the desk only: never printed
    paragraphs_after: str | None = None  # the archived copy's line after which its body paragraphs are counted


@dataclass(frozen=True, slots=True)
class Actor:
    """Someone who makes claims: a broadcaster, a researcher, an agency."""

    id: str
    name: Text
    kind: str
    loc: Loc
    affiliation: Text | None = None
    in_sentence: Text | None = None  # the name as it reads inside a sentence ("reports cited without a source")


@dataclass(frozen=True, slots=True)
class Settings:
    """Project settings from factsheets/settings.yaml."""

    organisation: Text
    source_language: str
    languages: tuple
    loc: Loc
    template: str = "briefing"
    archive: str | None = None
    extra_templates: tuple = ()
    mail: object | None = None  # MailSettings, when the desk sends by email
    read_outside: tuple = ()  # folders outside the project that the archive and font files may come from

    @property
    def all_languages(self) -> tuple:
        """The source language followed by the target languages."""
        return (self.source_language, *[lang for lang in self.languages if lang != self.source_language])


@dataclass(frozen=True)
class SheetSummary:
    """What the project-wide rules and the build plan need of a sheet, kept so the sheet itself is built only when used."""

    id: str
    loc: Loc
    languages: tuple
    actors: tuple  # ids of the actors its records name
    sources: tuple  # ids of the sources its records cite
    inner_ids: tuple  # (id, kind, line, column) of every record inside it, for the project-wide id rule
    fingerprint: str | None = None  # its file's bytes and translations, when it may be cached; see checks.sheet_findings


class SheetTable(Mapping):
    """The project's sheets by id; a sheet read from the record cache is built on first use.

    `check` and a build that renders nothing need every sheet's summary but no sheet;
    at a thousand sheets, building them all took most of their time.
    """

    def __init__(self) -> None:
        self._built: dict = {}
        self._later: dict = {}
        self._summaries: dict = {}

    def add(self, key: str, summary: SheetSummary, sheet: Sheet | None = None, build=None) -> None:
        """Add a sheet, or a function that builds it, under `key` (its id, or its place when the id is taken)."""
        self._summaries[key] = summary
        if sheet is not None:
            self._built[key] = sheet
        else:
            self._later[key] = build

    def summary(self, key: str) -> SheetSummary:
        """A sheet's summary, without building the sheet."""
        return self._summaries[key]

    def built(self, key: str) -> bool:
        """True when the sheet has been built (read from its file, or asked for since)."""
        return key in self._built

    def __contains__(self, key) -> bool:
        return key in self._summaries  # Mapping's own would build the sheet to find out

    def __getitem__(self, key: str) -> Sheet:
        if key not in self._built:
            self._built[key] = self._later.pop(key)()
        return self._built[key]

    def __iter__(self):
        return iter(self._summaries)

    def __len__(self) -> int:
        return len(self._summaries)


@dataclass
class Project:
    """Everything read from one project folder, and what was wrong with it."""

    root: Path
    settings: Settings | None
    actors: dict
    sources: dict
    sheets: SheetTable
    files: list
    problems: list
    unreadable: list = field(default_factory=list)  # record files that could not be parsed at all
    legacy: list = field(default_factory=list)  # (mapping node, text) of texts with translations in the YAML
    fingerprint: str | None = None  # the settings and shared records every sheet's checks read, when cacheable
    hashes: dict = field(default_factory=dict)  # SHA-256 of each record and PO file as it was read, by path

    @property
    def locale_dirs(self) -> tuple:
        """The project's own interface catalogs, searched before the package's."""
        return (self.root / "locale",)

    def archive_dir(self) -> Path | None:
        """The folder of archived source copies, if one is set and may be read (see `readable`)."""
        if self.settings is None or self.settings.archive is None:
            return None
        folder = (self.root / self.settings.archive).resolve()
        return folder if self.readable(folder) else None

    def readable_roots(self) -> tuple:
        """The project folder and the outside folders settings.yaml names in `read_outside`."""
        outside = self.settings.read_outside if self.settings else ()
        return (self.root.resolve(), *((self.root / folder).resolve() for folder in outside))

    def readable(self, path: Path) -> bool:
        """True when `path`, symlinks followed, lies inside the project or a folder of `read_outside`."""
        return is_inside(path, self.readable_roots())


def is_inside(path: Path, roots) -> bool:
    """True when `path`, with every symlink followed, lies inside one of `roots`."""
    real = str(Path(path).resolve())
    # Compared as strings: Path's own comparisons cost a thousand-sheet check a fifth of a second.
    return any(real == str(root) or real.startswith(str(root).rstrip(os.sep) + os.sep) for root in roots)
