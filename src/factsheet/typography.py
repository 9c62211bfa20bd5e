"""Typography per language: quotation marks, apostrophes, no-break spaces and hyphenation, applied to content text.

The rules are data (templates/typography.yaml); this module only applies them.
Editors type plain quotes and spaces; readers get the marks of their language,
numbers that stay with their nouns, and no line that starts with a dash.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

NBSP = "\u00a0"


@dataclass(frozen=True)
class Typography:
    """How one language sets its text."""

    quotes: tuple = ("“", "”", "‘", "’")  # primary open, primary close, secondary open, secondary close
    apostrophe: str = "’"
    hyphenation: str | None = None  # a pyphen dictionary, like en_GB; None: no hyphenation
    short_words: tuple = ()  # words that must not end a line (Russian «в», «и», Ukrainian «і», «з»...)
    dates: str | None = None  # the CLDR locale whose date style the language uses (en_GB: "30 June 2025")


_LETTER = r"[^\W\d_]"
_DASHES = re.compile(r" ([—–]) ")
_NUMBER_WORD = re.compile(rf"(\d) (?={_LETTER})")
# A capitalised word before a day of the month ("June 30", "December 12"), not "than 6,000" or "лишь 4–5".
_WORD_DAY = re.compile(rf"\b({_LETTER}+) (?=\d{{1,2}}(?![\d.,]\d|[–-]\d)\b)")


def typeset(text: str, rules: Typography) -> str:
    """Text with the language's quotation marks and apostrophe, and no-break spaces where a break would mislead."""
    text = _quotes(text, rules)
    text = _DASHES.sub(NBSP + r"\1 ", text)  # a dash never starts a line
    text = _NUMBER_WORD.sub(r"\1" + NBSP, text)  # "6 000 солдат", "30 June", "4–5 coffins"
    text = _WORD_DAY.sub(lambda m: m.group(1) + (NBSP if m.group(1)[0].isupper() else " "), text)
    if rules.short_words:
        text = _short_words_pattern(rules.short_words).sub(r"\1" + NBSP, text)
    return text


@functools.lru_cache(maxsize=None)
def _short_words_pattern(words: tuple) -> re.Pattern:
    """A language's short words before a space, compiled once (every text of every sheet is typeset)."""
    return re.compile(r"(?<![^\s(«„“])(" + "|".join(map(re.escape, words)) + r") ", re.IGNORECASE)


def _quotes(text: str, rules: Typography) -> str:
    """Straight quotes to the language's marks: opening after a space or bracket, closing elsewhere; nested ones secondary."""
    if '"' not in text and "'" not in text:
        return text
    primary_open, primary_close, secondary_open, secondary_close = rules.quotes
    out: list[str] = []
    depth = 0
    for index, char in enumerate(text):
        before = text[index - 1] if index else " "
        after = text[index + 1] if index + 1 < len(text) else " "
        # Opening when it follows neither a word nor closing punctuation, and a word follows it.
        opening = (not before.isalnum() and before not in ".,;:!?)]}…" + primary_close + secondary_close
                   and not after.isspace())
        if char == '"':
            if opening:
                out.append(primary_open if depth == 0 else secondary_open)
                depth += 1
            else:
                depth = max(depth - 1, 0)
                out.append(primary_close if depth == 0 else secondary_close)
        elif char == "'":
            if before.isalnum() and (after.isalpha() or after.isspace() or after in ".,;:!?)"):
                out.append(rules.apostrophe if after.isalpha() else secondary_close)
            elif opening:
                out.append(secondary_open)
            else:
                out.append(secondary_close)
        else:
            out.append(char)
    return "".join(out)
