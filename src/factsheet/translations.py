"""Translation status: per PO file and language, which texts are translated, fuzzy, untranslated or unreviewed."""

from __future__ import annotations

from dataclasses import dataclass

from . import model as m
from .checks import ValidProject
from .pofiles import catalogs, po_path, read_catalog, target_languages
from .problems import Loc, Problems

TRANSLATED, MISSING, STALE = "translated", "missing", "stale"


def state(text: m.Text, language: str) -> str:
    """Whether `text` has a current translation into `language` (a fuzzy one is stale)."""
    translation = text.translations.get(language)
    if translation is None:
        return MISSING
    if translation.fuzzy or translation.translates != m.text_hash(text.source):
        return STALE
    return TRANSLATED


@dataclass(frozen=True)
class Status:
    """Counts of one PO file's texts in one language, as msgfmt --statistics gives them, and how many are reviewed."""

    catalog: str  # a sheet id, or 'shared'
    language: str
    total: int
    translated: int
    fuzzy: int
    untranslated: int
    unreviewed: int  # translated, but no reviewer has marked them

    @property
    def complete(self) -> bool:
        """True when every text has a current translation."""
        return self.translated == self.total


@dataclass(frozen=True)
class Pending:
    """One text a translator or reviewer still has to look at."""

    catalog: str
    language: str
    state: str  # untranslated | fuzzy | unreviewed
    where: str  # "fact 'kc-toll' text"
    context: str  # the PO msgctxt
    loc: Loc  # the PO entry, or the file where it belongs


def _work(valid: ValidProject, languages) -> list[tuple]:
    if not isinstance(valid, ValidProject):
        raise TypeError("translation status takes a ValidProject: pass factsheet.validated(load_project(root))")
    project = valid.project
    chosen = [lang for lang in target_languages(project) if not languages or lang in languages]
    work = []
    for name, entries in catalogs(project).items():
        sheet = project.sheets.get(name)
        for language in chosen:
            if sheet is not None and language not in sheet.languages:
                continue
            if sheet is None and not any(language in s.languages for s in project.sheets.values()):
                continue
            work.append((name, language, entries, po_path(project.root, language, name)))
    return work


def project_status(valid: ValidProject, languages=None) -> list[Status]:
    """Counts for every PO file of a checked project, in every target language it is published in."""
    rows = []
    for name, language, entries, _ in _work(valid, languages):
        states = [state(entry.text, language) for entry in entries]
        unreviewed = sum(1 for entry, s in zip(entries, states)
                         if s == TRANSLATED and not entry.text.translations[language].reviewed)
        rows.append(Status(name, language, len(entries), states.count(TRANSLATED), states.count(STALE),
                           states.count(MISSING), unreviewed))
    return rows


def pending_texts(valid: ValidProject, languages=None) -> list[Pending]:
    """Every text still untranslated, fuzzy or unreviewed, with the place to work on it."""
    names = {MISSING: "untranslated", STALE: "fuzzy"}
    found = []
    for name, language, entries, path in _work(valid, languages):
        lines = {context: item.line for context, item in (read_catalog(path, Problems()) or {}).items()} \
            if path.is_file() else {}
        for entry in entries:
            current = state(entry.text, language)
            translation = entry.text.translations.get(language)
            loc = translation.loc if translation is not None else Loc(path, lines.get(entry.context, 1), 1)
            if current != TRANSLATED:
                found.append(Pending(name, language, names[current], entry.where, entry.context, loc))
            elif not translation.reviewed:
                found.append(Pending(name, language, "unreviewed", entry.where, entry.context, loc))
    return found


def statistics(rows: list[Status]) -> dict[str, str]:
    """One line per language in the words of msgfmt --statistics, with the unreviewed count added."""
    lines = {}
    for language in dict.fromkeys(row.language for row in rows):
        mine = [row for row in rows if row.language == language]
        translated, fuzzy, untranslated, unreviewed = (sum(getattr(r, f) for r in mine)
                                                       for f in ("translated", "fuzzy", "untranslated", "unreviewed"))
        lines[language] = (f"{translated} translated message{'s' * (translated != 1)}, {fuzzy} fuzzy "
                           f"translation{'s' * (fuzzy != 1)}, {untranslated} untranslated "
                           f"message{'s' * (untranslated != 1)} ({unreviewed} not yet reviewed)")
    return lines

