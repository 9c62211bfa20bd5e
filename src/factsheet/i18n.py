"""Interface text from gettext catalogs, and locale formatting with Babel's CLDR data.

Catalogs are the `.po` files under `factsheet/locale/`; they are read
directly, so users never run a compile step. The locale is always an
argument: nothing here looks at the machine's locale settings.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Callable

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.lists import format_list
from babel.numbers import format_decimal

from . import cache
from . import model as m
from .languages import locale_id

DOMAIN = "factsheet"


def N_(message: str) -> str:
    """Mark a message for extraction without translating it here."""
    return message


@dataclass(frozen=True)
class Translator:
    """Interface messages for one language, with that language's plural rules."""

    language: str
    messages: dict  # msgid -> str, or (msgid, plural) -> tuple of forms
    locale: Locale
    plural: Callable[[int], int] = staticmethod(lambda n: int(n != 1))  # the catalog's Plural-Forms rule
    rule: str = "(n != 1)"  # that rule's source

    def __reduce__(self):
        # The compiled rule cannot be pickled, its source can: a build's head start receives resolved
        # sheets, their translator included, through a pipe.
        return _translator_with_rule, (self.language, self.messages, self.locale, self.rule)

    def gettext(self, message: str, **values) -> str:
        """Translate a message and fill in its {placeholders}."""
        text = self.messages.get(message) or message
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values) -> str:
        """Translate a message whose form depends on the count `n`."""
        forms = self.messages.get((singular, plural))
        if forms and all(forms):
            text = forms[min(self.plural(n), len(forms) - 1)]
        else:
            text = singular if n == 1 else plural
        return text.format(n=n, **values)

    def has(self, message: str) -> bool:
        """True when the catalog translates `message` (or the language is the catalog's source)."""
        return self.language == "en" or bool(self.messages.get(message))


def catalog_path(language: str, locale_dirs: tuple = ()) -> Path | Traversable | None:
    """The .po catalog for `language`: a project's own locale folders first, then the package's."""
    parts = (locale_id(language), "LC_MESSAGES", f"{DOMAIN}.po")
    for folder in map(Path, locale_dirs):
        candidate = folder.joinpath(*parts)
        if candidate.is_file() and m.is_inside(candidate, (folder.parent.resolve(),)):  # a link out is not read
            return candidate
    candidate = (resources.files("factsheet") / "locale").joinpath(*parts)
    return candidate if candidate.is_file() else None


def translator(language: str, locale_dirs: tuple = ()) -> Translator:
    """The interface translator for a language (English when no catalog exists)."""
    path = catalog_path(language, locale_dirs)
    if path is None:
        return _translator(language, None, 0, 0)
    if not isinstance(path, Path):
        return _translator(language, path, 0, 0)  # shipped inside the package: changes only with factsheet itself
    info = path.stat()
    return _translator(language, path, info.st_mtime_ns, info.st_size)  # an edited catalog is read again


@functools.lru_cache(maxsize=None)
def _translator(language: str, path: Path | Traversable | None, mtime_ns: int, size: int) -> Translator:
    locale = Locale.parse(locale_id(language))
    messages: dict = {}
    plural = Translator.plural
    if path is not None:
        data = path.read_bytes()
        key = hashlib.sha256(data + language.encode()).hexdigest()[:40]
        messages, plural_expr, _ = catalog_contents(path, language, data, key)
        return _translator_with_rule(language, messages, locale, plural_expr)
    return Translator(language, messages, locale, plural)


def _translator_with_rule(language: str, messages: dict, locale: Locale, rule: str) -> Translator:
    return Translator(language, messages, locale, _compiled_rule(rule), rule)


@functools.lru_cache(maxsize=None)
def _compiled_rule(rule: str) -> Callable[[int], int]:
    return gettext.c2py(rule)


@functools.lru_cache(maxsize=1)
def interface_messages() -> tuple:
    """Every message factsheet's interface shows, from its catalog template (plural ones as (singular, plural))."""
    import io

    from babel.messages.pofile import read_po

    template = read_po(io.BytesIO((resources.files("factsheet") / "locale" / f"{DOMAIN}.pot").read_bytes()))
    return tuple(tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id
                 for message in template if message.id)


def catalog_contents(path: Path | Traversable, language: str, data: bytes | None = None, key: str | None = None) -> tuple:
    """(messages, plural rule, problems) of a catalog, from the cache when its content is unchanged."""
    data = path.read_bytes() if data is None else data
    key = key or hashlib.sha256(data + language.encode()).hexdigest()[:40]
    return cache.cached("catalog", key, lambda: _parse_catalog(data, language),
                        valid=lambda value: isinstance(value, tuple) and len(value) == 3
                        and all(len(problem) == 3 for problem in value[2]))  # (line, code, message), as now


_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _parse_catalog(data: bytes, language: str) -> tuple[dict, str, list]:
    """Messages of a .po file (msgid -> text; (msgid, plural) -> forms), its plural rule, and its problems.

    Problems are (line, code, message). A translation whose {placeholders}
    differ from its message's would fail when filled in; it is left out (the
    English is used) and reported. A catalog that cannot be read at all, or
    whose plural rule is not one, gives English and a problem, never a crash.
    """
    import io

    from babel.messages.pofile import PoFileError, read_po

    english = "(n != 1)"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return {}, english, [(line, "bad-catalog", f"byte 0x{data[exc.start]:02x} is not valid UTF-8: save the catalog "
                                                    "as UTF-8 (the interface is in English meanwhile)")]
    try:
        catalog = read_po(io.BytesIO(data), locale=locale_id(language), abort_invalid=True)
    except (PoFileError, ValueError, LookupError) as exc:
        line = getattr(exc, "lineno", 0) + 1  # Babel counts lines from 0
        return {}, english, [(line, "bad-catalog", f"this catalog cannot be read ({exc}): fix it, or open and save it in "
                                                    "a PO editor (the interface is in English meanwhile)")]
    problems: list = []
    plural_expr = catalog.plural_expr
    try:
        gettext.c2py(plural_expr)
    except (ValueError, SyntaxError, RecursionError):
        problems.append((1, "bad-catalog", f"the Plural-Forms rule {plural_expr!r} is not an expression of n: copy the "
                                           "rule for this language from CLDR or a PO editor (English plurals meanwhile)"))
        plural_expr = english
    messages: dict = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(_PLACEHOLDER.findall(" ".join(ids))) - {"n"}
        wrong = [s for s in strings if s and set(_PLACEHOLDER.findall(s)) - {"n"} != wanted]
        if wrong:
            found = sorted(set(_PLACEHOLDER.findall(wrong[0])) - {"n"})
            problems.append((message.lineno or 1, "catalog-placeholders",
                             f"the '{language}' translation of \"{ids[0]}\" uses {{{', '.join(found)}}} but the message "
                             f"has {{{', '.join(sorted(wanted))}}}: keep the placeholders as written (the English is used "
                             "meanwhile)"))
            continue
        if isinstance(message.id, tuple):
            messages[tuple(message.id)] = tuple(message.string)
        elif message.string:
            messages[message.id] = message.string
    return messages, plural_expr, problems


def no_break(text: str) -> str:
    """CLDR's narrow no-break space as a no-break space: PDF line breaking treats the former as a space."""
    return text.replace("\u202f", "\u00a0")


def format_partial_date(value: m.PartialDate, locale: Locale) -> str:
    """A day, month or year in the locale's long form ("June 30, 2025", "октябрь 2024 г.")."""
    if value.precision == "day":
        text = format_date(value.earliest(), "long", locale=locale)
    elif value.precision == "month":
        text = format_skeleton("yMMMM", value.earliest(), locale=locale)
    else:
        text = format_skeleton("y", value.earliest(), locale=locale)
    return no_break(text)


def format_when(value: m.When, t: Translator, dates: Locale | None = None) -> str:
    """Any date the records allow, including stated unknowns and lower bounds (in the `dates` locale's style)."""
    dates = dates or t.locale
    if isinstance(value, m.PartialDate):
        return format_partial_date(value, dates)
    if isinstance(value, dt.datetime):
        return no_break(format_date(value.date(), "long", locale=dates))
    if isinstance(value, m.NotBefore):
        return t.gettext("on or after {date}", date=format_partial_date(value.date, dates))
    return t.gettext("date unknown")


def format_number(value: Decimal, locale: Locale) -> str:
    """A number with the locale's grouping and decimal signs."""
    return no_break(format_decimal(value, locale=locale))


def format_value(value: m.Value, unit: str, t: Translator) -> str:
    """A claimed quantity with its unit, as the reader's language says it: "more than 6,000 soldiers"."""
    low = format_number(value.low, t.locale) if value.low is not None else ""
    high = format_number(value.high, t.locale) if value.high is not None else ""
    patterns = {
        "exact": lambda: t.gettext("{value} {unit}", value=low, unit=unit),
        "range": lambda: t.gettext("{low}–{high} {unit}", low=low, high=high, unit=unit),
        "more_than": lambda: t.gettext("more than {value} {unit}", value=low, unit=unit),
        "at_least": lambda: t.gettext("at least {value} {unit}", value=low, unit=unit),
        "fewer_than": lambda: t.gettext("fewer than {value} {unit}", value=high, unit=unit),
        "at_most": lambda: t.gettext("at most {value} {unit}", value=high, unit=unit),
        "about": lambda: t.gettext("about {value} {unit}", value=low, unit=unit),
    }
    return patterns[value.kind]()


def format_names(names: list[str], locale: Locale) -> str:
    """Join names as the locale does ("A, B and C")."""
    return format_list(names, locale=locale)


# Messages used by the layout that no code path passes to gettext literally.
STATUS_LABELS = {
    "confirmed": N_("confirmed"),
    "reported": N_("reported"),
    "claimed": N_("claimed"),
    "disputed": N_("disputed"),
}
