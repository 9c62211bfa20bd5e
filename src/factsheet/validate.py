"""Turn YAML trees into typed records, recording every problem with its place.

Each record type is described by a table of fields; each field has a parser
that either returns a typed value or raises FieldError with advice. Nothing
stops at the first problem: a bad field is reported and left empty, and
reading goes on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable

from . import model as m
from .languages import LanguageError, check_language
from .problems import Loc, Problems
from .yamlio import IMPLICIT_TYPES, Map, Node, Scalar, Seq

MAX_TEXT = 4000

SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
NUMBER = re.compile(r"^(0|[1-9]\d*(_\d{3})*|[1-9]\d*)(\.\d+)?$")


SKIP = "skip"  # FieldError code for a value whose nested parts already reported their problems


class FieldError(Exception):
    """A value that cannot be read; `loc` overrides the field's own place."""

    def __init__(self, message: str, code: str = "bad-value", loc: Loc | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.loc = loc


@dataclass(frozen=True)
class Field:
    """One key of a record: how to read it and whether it must be there."""

    parse: Callable[["Reader", Node], Any]
    required: bool = False
    default: Any = None
    hint: str = ""


class Reader:
    """Reads records from YAML nodes, collecting problems as it goes."""

    def __init__(self, problems: Problems, source_language: str = "en", legacy: list | None = None) -> None:
        self.problems = problems
        self.source_language = source_language
        # Texts written with their translations in the YAML (the layout before PO files), as
        # (mapping node, text): recorded where records are read, so migration can find them.
        self.legacy = legacy
        self.context = ""  # "fact 'x', field 'y'": where nested problems are reported from

    def record(self, node: Node, fields: dict, owner: str, retired: dict | None = None) -> dict | None:
        """Read a mapping against a field table; return values by name (None where bad).

        A `retired` key is warned about with its advice, and otherwise ignored.
        """
        if not isinstance(node, Map):
            self.problems.error(node.loc, "wrong-type", f"{owner}: expected a mapping of keys and values, got {node.describe()}")
            return None
        owner = _name_owner(owner, node)
        values: dict = {"_loc": node.loc, "_owner": owner}
        for key, value in node.items.items():
            if retired and key in retired:
                self.problems.warning(node.key_locs[key], "retired-key", f"{owner}: {retired[key]}")
            elif key not in fields:
                close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
                advice = f" (did you mean '{close[0]}'?)" if close else f"; allowed keys: {', '.join(fields)}"
                self.problems.error(node.key_locs[key], "unknown-key", f"{owner}: unknown key '{key}'{advice}")
        for name, spec in fields.items():
            value = node.get(name)
            if value is None:
                if spec.required:
                    hint = f": {spec.hint}" if spec.hint else ""
                    self.problems.error(node.loc, "missing-field", f"{owner}: missing required field '{name}'{hint}")
                    values[name] = None
                else:
                    values[name] = spec.default
                continue
            self.context = f"{owner}, field '{name}'"
            try:
                values[name] = spec.parse(self, value)
            except FieldError as exc:
                if exc.code != SKIP:
                    self.problems.error(exc.loc or value.loc, exc.code, f"{owner}, field '{name}': {exc.message}")
                values[name] = None
        return values

    def items(self, node: Node, what: str, owner: str, read: Callable, minimum: int = 0) -> tuple:
        """Read a list whose items are records, skipping (and reporting) bad ones."""
        if not isinstance(node, Seq):
            raise FieldError(f"expected a list of {what}s, got {node.describe()}", "wrong-type")
        if len(node.items) < minimum:
            raise FieldError(f"needs at least {minimum} {what}{'s' if minimum > 1 else ''}", "empty-list")
        result = []
        for index, item in enumerate(node.items, 1):
            record = read(self, item, f"{what} {index} of {owner}")
            if record is not None:
                result.append(record)
        return tuple(result)


def _name_owner(owner: str, node: Map) -> str:
    """Prefer a record's own id in messages ("fact 'x'") over its position."""
    ident = node.get("id")
    if isinstance(ident, Scalar) and SLUG.match(ident.value):
        return f"{owner.split(' ')[0]} '{ident.value}'"
    return owner


# --- scalar parsers --------------------------------------------------------


def scalar(node: Node, expected: str = "text") -> Scalar:
    """The node as a scalar, refusing lists and mappings."""
    if not isinstance(node, Scalar):
        raise FieldError(f"expected {expected}, got {node.describe()}", "wrong-type")
    return node


def string(r: Reader | None, node: Node, fold: bool = True) -> str:
    """A non-empty string, refusing values that YAML would read as something else.

    Line breaks inside the value are folded to spaces unless `fold` is False,
    for values (email headers) where a line break must be seen and refused.
    """
    s = scalar(node)
    if s.plain and s.implicit:
        reading = IMPLICIT_TYPES.get(s.implicit, "something other than text")
        if s.implicit == "tag:yaml.org,2002:null":
            raise FieldError("is empty: give a value, or write 'unknown' if the source does not say", "empty-value")
        raise FieldError(f"'{s.value}' would be read by YAML as {reading}; put it in quotes if you mean the text \"{s.value}\"",
                         "ambiguous-value")
    text = s.value.strip()
    if not text:
        raise FieldError("is empty: give a value, or write 'unknown' if the source does not say", "empty-value")
    if len(text) > MAX_TEXT:
        raise FieldError(f"is {len(text)} characters long; the limit is {MAX_TEXT}: shorten it", "too-long")
    return " ".join(text.split()) if fold and "\n" in text else text


def exact_string(r: Reader | None, node: Node) -> str:
    """A string exactly as written (only leading and trailing spaces dropped)."""
    return string(r, node, fold=False)


def string_or_unknown(r: Reader, node: Node) -> str | m.Unknown:
    """A string, or the stated `unknown`."""
    value = string(r, node)
    return m.UNKNOWN if value == "unknown" else value


def slug(r: Reader, node: Node) -> str:
    """An id: lower-case letters, digits and single hyphens."""
    value = string(r, node)
    if not SLUG.match(value) or len(value) > 64:
        fixed = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
        advice = f"; try '{fixed}'" if fixed and SLUG.match(fixed) and len(fixed) <= 64 else ""
        raise FieldError(f"'{value}' is not a valid id: use lower-case letters, digits and single hyphens, "
                         f"starting with a letter, at most 64 characters{advice}", "bad-id")
    return value


def boolean(r: Reader, node: Node) -> bool:
    """Exactly `true` or `false`."""
    s = scalar(node, "true or false")
    if s.plain and s.value in ("true", "false"):
        return s.value == "true"
    raise FieldError(f"expected true or false, got {s.describe()}", "bad-bool")


def language(r: Reader, node: Node) -> str:
    """A language code Babel knows."""
    value = string(r, node)
    try:
        return check_language(value)
    except LanguageError as exc:
        raise FieldError(str(exc), "bad-language") from None


def languages(r: Reader, node: Node) -> tuple:
    """A list of language codes, each at most once."""
    if not isinstance(node, Seq):
        raise FieldError(f"expected a list of language codes like [ko, ru], got {node.describe()}", "wrong-type")
    context = r.context
    result = []
    for item in node.items:
        try:
            code = language(r, item)
        except FieldError as exc:
            r.problems.error(item.loc, exc.code, f"{context}: {exc.message}")
            continue
        if code in result:
            r.problems.error(item.loc, "duplicate-language", f"{context}: language '{code}' is listed twice: remove one")
        else:
            result.append(code)
    return tuple(result)


def partial_date(r: Reader | None, node: Node) -> m.PartialDate:
    """A day, month or year in ISO form."""
    s = scalar(node, "a date")
    value = s.value.strip()
    match = DATE.match(value)
    if not match:
        raise FieldError(f"expected a date like 2025-06-30 (or 2025-06 for a month), got '{value}'", "bad-date")
    year, month, day = (int(g) if g else None for g in match.groups())
    if month is not None and not 1 <= month <= 12:
        raise FieldError(f"'{value}' has no month {month}: months run from 01 to 12", "bad-date")
    if day is not None:
        try:
            dt.date(year, month, day)
        except ValueError:
            raise FieldError(f"'{value}' is not a real date: {_month_name(month)} {year} has no day {day}", "bad-date") from None
    return m.PartialDate(year, month, day)


def day(r: Reader, node: Node) -> m.PartialDate:
    """A full calendar day."""
    value = partial_date(r, node)
    if value.precision != "day":
        raise FieldError(f"expected a full date like 2025-06-30, got '{value}'", "bad-date")
    return value


def day_or_unknown(r: Reader, node: Node) -> m.PartialDate | m.Unknown:
    """A full day, or `unknown`."""
    if isinstance(node, Scalar) and node.value == "unknown":
        return m.UNKNOWN
    return day(r, node)


def published(r: Reader, node: Node) -> m.When:
    """A publication date, date-time with time zone, `unknown` or {not_before: DATE}."""
    if isinstance(node, Map):
        values = r.record(node, {"not_before": Field(day, required=True)}, "publication date")
        if not values or values["not_before"] is None:
            raise FieldError("", SKIP)
        return m.NotBefore(values["not_before"])
    s = scalar(node, "a date")
    value = s.value.strip()
    if value == "unknown":
        return m.UNKNOWN
    if "T" in value or " " in value or ":" in value:
        if not DATETIME.match(value):
            raise FieldError(f"expected a date-time like 2025-06-30T20:59:00+05:30, got '{value}'", "bad-date")
        if not re.search(r"(Z|[+-]\d{2}:\d{2})$", value):
            raise FieldError(f"'{value}' has no time zone: add one, like 2025-06-30T20:59:00+05:30", "bad-date")
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise FieldError(f"'{value}' is not a real date-time", "bad-date") from None
    return partial_date(r, node)


def url(r: Reader, node: Node) -> str | m.Unknown:
    """An http(s) address, or `unknown`."""
    value = string_or_unknown(r, node)
    if value is m.UNKNOWN:
        return value
    if not re.match(r"^https?://[^\s/$.?#][^\s<>\"]*$", value, re.IGNORECASE):
        raise FieldError(f"'{value}' is not a web address: use a full http:// or https:// URL, or 'unknown'", "bad-url")
    return value


# Babel formats, and the chart scales, numbers of at most this many digits exactly;
# no real count or amount in a briefing comes near either limit.
MAX_DIGITS = 15
MAX_NUMBER = Decimal(10) ** 15


def number(node: Node) -> Decimal:
    """A non-negative number written in digits."""
    s = scalar(node, "a number")
    value = s.value.strip()
    if not NUMBER.match(value):
        raise FieldError(f"expected a number written in digits like 6000 or 6_000, got '{value}'", "bad-number", s.loc)
    try:
        amount = Decimal(value.replace("_", ""))
    except InvalidOperation:
        raise FieldError(f"'{value}' is not a number", "bad-number", s.loc) from None
    digits = len(amount.as_tuple().digits)
    if amount >= MAX_NUMBER or digits > MAX_DIGITS:
        raise FieldError(f"'{value}' is too large or too precise to format and chart: figures are limited to "
                         f"{MAX_DIGITS} digits, below {MAX_NUMBER:,}; check the number", "bad-number", s.loc)
    return amount


VALUE_FORMS = ("min", "max", "more_than", "at_least", "fewer_than", "at_most", "about")


def claim_value(r: Reader, node: Node) -> m.Value:
    """A number, {min, max}, or a bound such as {more_than: N}."""
    if isinstance(node, Scalar):
        return m.Value("exact", number(node), number(node))
    if not isinstance(node, Map):
        raise FieldError("expected a number, {min: A, max: B} or a bound like {more_than: N}", "bad-value")
    keys = list(node.items)
    for key in keys:
        if key not in VALUE_FORMS:
            close = difflib.get_close_matches(key, VALUE_FORMS, n=1)
            advice = f" (did you mean '{close[0]}'?)" if close else f"; use one of {', '.join(VALUE_FORMS)}"
            raise FieldError(f"unknown value form '{key}'{advice}", "unknown-key", node.key_locs[key])
    if set(keys) == {"min", "max"}:
        low, high = number(node.items["min"]), number(node.items["max"])
        if low >= high:
            raise FieldError(f"range min {low} must be less than max {high}", "bad-range")
        return m.Value("range", low, high)
    if len(keys) == 1 and keys[0] not in ("min", "max"):
        form = keys[0]
        amount = number(node.items[form])
        low = amount if form in ("more_than", "at_least", "about") else None
        high = amount if form in ("fewer_than", "at_most", "about") else None
        return m.Value(form, low, high)
    raise FieldError("write a range as {min: A, max: B}, or give exactly one of more_than, at_least, "
                     "fewer_than, at_most, about", "bad-value")


def one_of(choices: tuple, what: str) -> Callable:
    """A parser accepting one word from `choices`."""

    def parse(r: Reader, node: Node) -> str:
        value = string(r, node)
        if value not in choices:
            close = difflib.get_close_matches(value, choices, n=1)
            advice = f" (did you mean '{close[0]}'?)" if close else ""
            raise FieldError(f"'{value}' is not a {what}{advice}; use one of {', '.join(choices)}", f"bad-{what.replace(' ', '-')}")
        return value

    return parse


# --- text in several languages ---------------------------------------------

TRANSLATION_FIELDS = {
    "text": Field(string, required=True),
    "translates": Field(lambda r, n: _hash(r, n)),
    "reviewed": Field(boolean, default=False),
}


def _hash(r: Reader, node: Node) -> str:
    # A hash is read exactly as written: an all-digit hash such as 38004247 is
    # still a hash, never a number, so it needs no quotes.
    value = scalar(node, "a hash").value.strip()
    if not re.match(r"^[0-9a-f]{8}$", value):
        raise FieldError(f"expected the 8-character hash of the source text (like 3f9a0c1d), got '{value}'", "bad-hash")
    return value


def text(r: Reader, node: Node) -> m.Text:
    """A text in the source language (its translations live in PO files; a mapping of languages is the old layout)."""
    result = multilingual(r, node)
    if isinstance(node, Map) and r.legacy is not None:
        r.legacy.append((node, result))
    return result


def multilingual(r: Reader, node: Node) -> m.Text:
    """A text with its translations written beside it: the desk's name in settings, a template's marking."""
    if isinstance(node, Scalar):
        return m.Text(string(r, node), node.loc)
    if not isinstance(node, Map):
        raise FieldError(f"expected text, or a mapping of language codes to texts, got {node.describe()}", "wrong-type")
    source_lang = r.source_language
    source = node.get(source_lang)
    if source is None:
        raise FieldError(f"has translations but no '{source_lang}' text: every text needs the source language ({source_lang})",
                         "missing-source-text")
    if not isinstance(source, Scalar):
        raise FieldError(f"the '{source_lang}' text must be a plain string", "wrong-type", source.loc)
    result = m.Text(string(r, source), source.loc, {})
    for code, value in node.items.items():
        if code == source_lang:
            continue
        try:
            check_language(code)
        except LanguageError as exc:
            raise FieldError(str(exc), "bad-language", node.key_locs[code]) from None
        if isinstance(value, Scalar):
            result.translations[code] = m.Translation(string(r, value), value.loc)
            continue
        values = r.record(value, TRANSLATION_FIELDS, f"'{code}' translation")
        if values and values["text"] is not None:
            result.translations[code] = m.Translation(values["text"], value.loc, values["translates"], bool(values["reviewed"]))
    return result


# --- attributions and citations --------------------------------------------


def attribution(r: Reader, node: Node) -> m.Attribution:
    """An actor id, or {who: id or [ids], via: id}."""
    if isinstance(node, Scalar):
        return m.Attribution((slug(r, node),), node.loc)
    if not isinstance(node, Map):
        raise FieldError("expected an actor id, or {who: ACTOR, via: ACTOR}", "wrong-type")
    values = r.record(node, {"who": Field(_actor_ids, required=True, hint="the id of the actor who makes the claim"),
                             "via": Field(slug)}, "attribution")
    if not values or values["who"] is None:
        raise FieldError("", SKIP)
    return m.Attribution(values["who"], node.loc, values["via"])


def _actor_ids(r: Reader, node: Node) -> tuple:
    if isinstance(node, Seq):
        if not node.items:
            raise FieldError("names no actor: give at least one actor id", "empty-list")
        ids = tuple(slug(r, item) for item in node.items)
        if len(set(ids)) != len(ids):
            raise FieldError("names the same actor twice", "duplicate-actor")
        return ids
    return (slug(r, node),)


CITATION_FIELDS = {
    "source": Field(slug, required=True, hint="the id of a source in sources.yaml"),
    "quote": Field(string),
    "locator": Field(string),
}


def citations(r: Reader, node: Node) -> tuple:
    """At least one citation: a source id, or {source, quote, locator}."""
    if not isinstance(node, Seq):
        raise FieldError(f"expected a list of citations, got {node.describe()}", "wrong-type")
    if not node.items:
        raise FieldError("is empty: every statement needs at least one citation", "no-citation")
    context = r.context
    result = []
    for index, item in enumerate(node.items, 1):
        if isinstance(item, Scalar):
            try:
                result.append(m.Citation(slug(r, item), item.loc))
            except FieldError as exc:
                r.problems.error(item.loc, exc.code, f"{context}, citation {index}: {exc.message}")
            continue
        values = r.record(item, CITATION_FIELDS, f"citation {index} of {context}")
        if values and values["source"]:
            quote_node = item.get("quote")
            result.append(m.Citation(values["source"], item.loc, values["quote"],
                                     quote_node.loc if quote_node is not None else None, values["locator"]))
    return tuple(result)


# --- records ----------------------------------------------------------------

ACTOR_FIELDS = {
    "id": Field(slug, required=True),
    "name": Field(text, required=True),
    "kind": Field(one_of(m.ACTOR_KINDS, "actor kind"), required=True),
    "affiliation": Field(text),
    "in_sentence": Field(text),
}

SOURCE_FIELDS = {
    "id": Field(slug, required=True),
    "title": Field(string, required=True, hint="the headline as published"),
    "translated_title": Field(lambda r, n: _translated_titles(r, n), default={}),
    "publisher": Field(string_or_unknown, required=True, hint="write 'unknown' if the source does not say"),
    "published": Field(published, required=True, hint="write 'unknown' if the source does not say"),
    "language": Field(language, required=True),
    "url": Field(url, default=m.UNKNOWN),
    "author": Field(string_or_unknown, default=m.UNKNOWN),
    "accessed": Field(day_or_unknown, default=m.UNKNOWN),
    "archive": Field(lambda r, n: _archive_name(r, n)),
    "paragraphs_after": Field(exact_string),
    "note": Field(text),
    "desk_note": Field(string),
}


def _translated_titles(r: Reader, node: Node) -> dict:
    if not isinstance(node, Map):
        raise FieldError("expected a mapping of language codes to titles, like {ko: ...}", "wrong-type")
    result = {}
    for code, value in node.items.items():
        try:
            check_language(code)
        except LanguageError as exc:
            raise FieldError(str(exc), "bad-language", node.key_locs[code]) from None
        result[code] = string(r, value)
    return result


def _archive_name(r: Reader, node: Node) -> str:
    value = string(r, node)
    if value.startswith(("/", "\\")) or ".." in Path(value).parts or "\\" in value:
        raise FieldError(f"'{value}' must be a file name inside the archive folder, not a path leading out of it", "bad-archive")
    return value


CORRECTION_FIELDS = {
    "date": Field(partial_date, required=True, hint="the day the correction was made"),
    "note": Field(text, required=True, hint="what was wrong and what changed, for readers"),
}


def correction(r: Reader, node: Node) -> m.Correction:
    """{date, note}: a dated note for readers."""
    values = r.record(node, CORRECTION_FIELDS, "correction")
    if not values or values["date"] is None or values["note"] is None:
        raise FieldError("", SKIP)
    return m.Correction(values["date"], values["note"], values["_loc"])


def corrections(r: Reader, node: Node) -> tuple:
    """A list of {date, note}."""
    if not isinstance(node, Seq):
        raise FieldError(f"expected a list of corrections like [{{date: 2025-07-02, note: ...}}], got {node.describe()}",
                         "wrong-type")
    result = []
    for item in node.items:
        try:
            result.append(correction(r, item))
        except FieldError as exc:
            if exc.code != SKIP:
                r.problems.error(item.loc, exc.code, f"{r.context}: {exc.message}")
    return tuple(result)


# Words an editor may reach for that are not statuses: each says what to write instead.
NOT_STATUSES = {
    "retracted": "to take a fact back, keep its status and add withdrawn: {date: ..., note: ...}",
    "withdrawn": "to take a fact back, keep its status and add withdrawn: {date: ..., note: ...}",
    "corrected": "to correct a fact, fix its text and add corrections: [{date: ..., note: ...}]",
    "unconfirmed": "use reported (a source says so) or claimed (a party asserts it)",
}


def status(r: Reader, node: Node) -> str:
    """One of the statuses; words that are not statuses get advice on what to write instead."""
    value = string(r, node)
    if value in NOT_STATUSES:
        raise FieldError(f"'{value}' is not a status: {NOT_STATUSES[value]}", "bad-status")
    return one_of(m.STATUSES, "status")(r, node)


FACT_FIELDS = {
    "id": Field(slug, required=True),
    "text": Field(text, required=True),
    "status": Field(status, required=True, hint=f"one of {', '.join(m.STATUSES)}"),
    "attribution": Field(attribution, required=True, hint="the id of the actor who says so"),
    "date": Field(partial_date),
    "key": Field(boolean, default=False),
    "citations": Field(citations, required=True, hint="every fact needs at least one citation"),
    "corrections": Field(corrections, default=()),
    "withdrawn": Field(correction),
}

CLAIM_FIELDS = {
    "id": Field(slug, required=True),
    "value": Field(claim_value, required=True),
    "as_of": Field(partial_date, required=True, hint="the date the claim was made or reported"),
    "attribution": Field(attribution, required=True),
    "citations": Field(citations, required=True, hint="every claim needs at least one citation"),
    "note": Field(text),
    "status": Field(status, default="claimed"),
    "measures": Field(slug),
    "corrections": Field(corrections, default=()),
    "withdrawn": Field(correction),
}


def build_record(cls, values: dict, **given):
    """A record built by field name from the values a field table read (`loc` from `_loc`).

    A field whose value is missing takes its default; a required tuple left
    empty by a reported error becomes (), so later rules can still walk it.
    """
    kwargs = {}
    for item in dataclasses.fields(cls):
        value = given[item.name] if item.name in given else values.get("_loc" if item.name == "loc" else item.name)
        if value is None and (item.default is not dataclasses.MISSING or item.default_factory is not dataclasses.MISSING):
            continue
        kwargs[item.name] = () if value is None and item.type == "tuple" else value
    return cls(**kwargs)


def record_reader(fields: dict, cls) -> Callable:
    """The reader of one kind of record: its field table, then the record built by field name."""

    def read(r: Reader, node: Node, owner: str):
        values = r.record(node, fields, owner)
        return values and build_record(cls, values)

    read.__doc__ = f"Read one {cls.__name__.lower()} record."
    return read


read_actor = record_reader(ACTOR_FIELDS, m.Actor)
read_source = record_reader(SOURCE_FIELDS, m.Source)
read_fact = record_reader(FACT_FIELDS, m.Fact)
read_claim = record_reader(CLAIM_FIELDS, m.Claim)


FIGURE_FIELDS = {
    "id": Field(slug, required=True),
    "label": Field(text, required=True),
    "unit": Field(text, required=True, hint="the counted noun, like 'soldiers'"),
    "measures": Field(slug, required=True, hint="an id for the one quantity every claim counts, like kursk-deaths"),
    "disputed": Field(boolean, default=False),
    "key": Field(boolean, default=False),
    "claims": Field(lambda r, n: r.items(n, "claim", "figure", read_claim, minimum=1), required=True),
}

SECTION_FIELDS = {
    "id": Field(slug, required=True),
    "title": Field(text, required=True),
    "facts": Field(lambda r, n: r.items(n, "fact", "section", read_fact, minimum=1), required=True),
}

EVENT_FIELDS = {
    "id": Field(slug, required=True),
    "date": Field(partial_date, required=True),
    "text": Field(text, required=True),
    "citations": Field(citations, required=True, hint="every event needs at least one citation"),
}


read_figure = record_reader(FIGURE_FIELDS, m.Figure)
read_section = record_reader(SECTION_FIELDS, m.Section)
read_event = record_reader(EVENT_FIELDS, m.Event)


SHEET_FIELDS = {
    "id": Field(slug, required=True),
    "title": Field(text, required=True),
    "summary": Field(text, required=True),
    "as_of": Field(day, required=True, hint="the day the sheet describes the story as of, like 2025-06-30"),
    "languages": Field(languages),
    "sections": Field(lambda r, n: r.items(n, "section", "sheet", read_section, minimum=1), required=True),
    "figures": Field(lambda r, n: r.items(n, "figure", "sheet", read_figure), default=()),
    "timeline": Field(lambda r, n: r.items(n, "event", "sheet", read_event), default=()),
    "contrasts": Field(lambda r, n: r.items(n, "contrast", "sheet", read_contrast), default=()),
    "bottom_line": Field(lambda r, n: _takeaways(r, n), default=()),
}


def _takeaways(r: Reader, node: Node) -> tuple:
    found = r.items(node, "takeaway", "sheet", read_fact, minimum=1)
    if len(found) > 3:
        raise FieldError(f"has {len(found)} takeaways: a bottom line holds two or three; keep the rest as facts",
                         "too-many")
    return found


CONTRAST_FIELDS = {
    "id": Field(slug, required=True),
    "title": Field(text, required=True, hint="a heading naming both quantities"),
    "figures": Field(lambda r, n: _two_ids(r, n), required=True, hint="the ids of the two figures set side by side"),
    "meaning": Field(text, required=True, hint="a plain sentence saying what the contrast means"),
}


def _two_ids(r: Reader, node: Node) -> tuple:
    if not isinstance(node, Seq) or len(node.items) != 2:
        raise FieldError("expected the ids of exactly two figures, like [reported-deaths, coffins-shown]", "wrong-type")
    return tuple(slug(r, item) for item in node.items)


read_contrast = record_reader(CONTRAST_FIELDS, m.Contrast)


# Keys sheets once had, with what to do instead: a warning, not an unknown key, so an old sheet still builds.
RETIRED_SHEET_KEYS = {
    "edition": "an edition number is no longer written in the sheet; 'factsheet publish' numbers and dates "
               "editions in editions/: delete this line",
}


def read_sheet(r: Reader, node: Node, owner: str, default_languages: tuple) -> m.Sheet | None:
    """Read one sheet with its sections, figures, contrasts and timeline."""
    v = r.record(node, SHEET_FIELDS, owner, retired=RETIRED_SHEET_KEYS)
    return v and build_record(m.Sheet, v, languages=v["languages"] or default_languages)


SETTINGS_FIELDS = {
    "organisation": Field(multilingual, required=True, hint="the desk's name, shown on every page"),
    "source_language": Field(language, required=True, hint="the language editors write in, like en"),
    "languages": Field(languages, required=True, hint="target languages, like [ko, ru, uk], or []"),
    "template": Field(slug, default="briefing"),
    "extra_templates": Field(lambda r, n: _slugs(r, n), default=()),
    "archive": Field(string),
    "read_outside": Field(lambda r, n: _folders(r, n), default=()),
    "mail": Field(lambda r, n: _mail(r, n)),
}


def _folders(r: Reader, node: Node) -> tuple:
    if not isinstance(node, Seq):
        raise FieldError(f"expected a list of folders like [../shared/sources], got {node.describe()}", "wrong-type")
    return tuple(string(r, item) for item in node.items)


def _mail(r: Reader, node: Node):
    from .mail.config import read_mail_settings  # only projects that send need the mail settings

    return read_mail_settings(r, node)


def _slugs(r: Reader, node: Node) -> tuple:
    if not isinstance(node, Seq):
        raise FieldError(f"expected a list of template names like [card], got {node.describe()}", "wrong-type")
    return tuple(slug(r, item) for item in node.items)


def read_settings(r: Reader, node: Node, path: Path) -> m.Settings | None:
    """Read the project settings file."""
    declared = node.get("source_language") if isinstance(node, Map) else None
    if isinstance(declared, Scalar):
        try:
            r = Reader(r.problems, check_language(declared.value))
        except LanguageError:
            pass  # reported when the field itself is read
    v = r.record(node, SETTINGS_FIELDS, "settings")
    if not v:
        return None
    return m.Settings(v["organisation"] or m.Text("", v["_loc"]), v["source_language"] or "en", v["languages"] or (), v["_loc"],
                      v["template"] or "briefing", v["archive"], v["extra_templates"] or (), v["mail"],
                      v["read_outside"] or ())


def _month_name(month: int) -> str:
    return dt.date(2000, month, 1).strftime("%B")
