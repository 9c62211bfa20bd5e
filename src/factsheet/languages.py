"""Language codes: checked against Babel's CLDR locales, with advice for common slips."""

from __future__ import annotations

import difflib
import functools
import re

# Country or habit codes that people often write for a language.
COMMON_MISTAKES = {
    "kr": "ko", "ua": "uk", "jp": "ja", "cn": "zh", "gr": "el", "cz": "cs", "dk": "da",
    "se": "sv", "ee": "et", "by": "be", "ge": "ka", "il": "he", "iw": "he", "in": "id",
    "ji": "yi", "kz": "kk", "vn": "vi", "rs": "sr", "si": "sl", "br": "pt-BR", "us": "en",
    "gb": "en", "uk-ua": "uk", "en-uk": "en-GB",
}

_CODE = re.compile(r"^[a-z]{2,3}(-(?:[A-Z][a-z]{3}|[A-Z]{2}|\d{3}))*$")


class LanguageError(ValueError):
    """A language code that is not a real, well-written locale identifier."""


@functools.lru_cache(maxsize=None)
def check_language(code: str) -> str:
    """Return `code` if it names a real locale, else raise LanguageError saying what to write."""
    lowered = code.lower().replace("_", "-")
    if lowered in COMMON_MISTAKES:
        raise LanguageError(f"'{code}' is not a language code; did you mean '{COMMON_MISTAKES[lowered]}'?")
    if not _CODE.match(code):
        suggestion = _canonical(code)
        hint = f"; did you mean '{suggestion}'?" if suggestion else " like 'en', 'ko' or 'pt-BR'"
        raise LanguageError(f"'{code}' is not a well-formed language code{hint}")
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise LanguageError(f"'{code}' is not a language Babel knows{_nearest(code)}") from None
    return code


def suggest_language(code: str, published) -> str:
    """Advice for a language code the project does not publish: the published one it was probably meant as."""
    lowered = code.lower().replace("_", "-")
    candidate = COMMON_MISTAKES.get(lowered) or _canonical(code)
    if candidate in published:
        return f" (did you mean '{candidate}'?)"
    close = difflib.get_close_matches(code, list(published), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _canonical(code: str) -> str | None:
    parts = code.replace("_", "-").split("-")
    if not parts[0].isalpha():
        return None
    fixed = [parts[0].lower()] + [p.upper() if len(p) == 2 else p.title() for p in parts[1:]]
    candidate = "-".join(fixed)
    try:
        return check_language(candidate) if candidate != code else None
    except LanguageError:
        return None


def _nearest(code: str) -> str:
    from babel.localedata import locale_identifiers

    simple = [c for c in locale_identifiers() if "_" not in c]
    close = difflib.get_close_matches(code, simple, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def locale_id(code: str) -> str:
    """The Babel identifier for a language code ('pt-BR' becomes 'pt_BR')."""
    return code.replace("-", "_")


def script_of(code: str) -> str:
    """The ISO 15924 script a language is usually written in, from CLDR ('ko' gives 'Kore')."""
    from babel.core import get_global

    parts = code.split("-")
    if len(parts) > 1 and len(parts[1]) == 4:
        return parts[1]
    likely = get_global("likely_subtags").get(parts[0], "")
    pieces = likely.split("_")
    return pieces[1] if len(pieces) > 1 and len(pieces[1]) == 4 else "Latn"
