"""Translation status: which texts of a sheet are translated, missing, stale or unreviewed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from . import model as m
from .checks import ValidProject

TRANSLATED, MISSING, STALE, UNVERSIONED = "translated", "missing", "stale", "unversioned"


def sheet_texts(project: m.Project, sheet: m.Sheet) -> Iterator[tuple[str, m.Text]]:
    """Every translatable text a sheet shows, with a name for messages, each once."""
    yield f"sheet '{sheet.id}' title", sheet.title
    yield f"sheet '{sheet.id}' summary", sheet.summary
    actors: dict = {}
    sources: dict = {}
    for section in sheet.sections:
        yield f"section '{section.id}' title", section.title
        for fact in section.facts:
            yield f"fact '{fact.id}' text", fact.text
            _collect(fact.attribution, fact.citations, actors, sources)
    for figure in sheet.figures:
        yield f"figure '{figure.id}' label", figure.label
        yield f"figure '{figure.id}' unit", figure.unit
        for claim in figure.claims:
            if claim.note:
                yield f"claim '{claim.id}' note", claim.note
            _collect(claim.attribution, claim.citations, actors, sources)
    for event in sheet.timeline:
        yield f"event '{event.id}' text", event.text
        _collect(None, event.citations, actors, sources)
    for actor_id in actors:
        actor = project.actors.get(actor_id)
        if actor is not None and actor.name is not None:
            yield f"actor '{actor_id}' name", actor.name
            if actor.affiliation:
                yield f"actor '{actor_id}' affiliation", actor.affiliation
    for source_id in sources:
        source = project.sources.get(source_id)
        if source is not None and source.note:
            yield f"source '{source_id}' note", source.note


def _collect(attribution, citations, actors: dict, sources: dict) -> None:
    if attribution is not None:
        for actor in (*attribution.who, *([attribution.via] if attribution.via else [])):
            actors.setdefault(actor, None)
    for citation in citations:
        sources.setdefault(citation.source, None)


def state(text: m.Text, language: str) -> str:
    """Whether `text` has a current translation into `language`."""
    translation = text.translations.get(language)
    if translation is None:
        return MISSING
    if translation.translates is None:
        return UNVERSIONED
    if translation.translates != m.text_hash(text.source):
        return STALE
    return TRANSLATED


@dataclass(frozen=True)
class Status:
    """Counts of one sheet's texts in one language."""

    sheet: str
    language: str
    total: int
    translated: int
    missing: int
    stale: int
    unreviewed: int

    @property
    def complete(self) -> bool:
        """True when every text has a current translation."""
        return self.translated == self.total


def sheet_status(project: m.Project, sheet: m.Sheet, language: str) -> Status:
    """Translation counts for one sheet in one language (the source language is complete by definition)."""
    texts = [text for _, text in sheet_texts(project, sheet) if text is not None]
    if language == project.settings.source_language:
        return Status(sheet.id, language, len(texts), len(texts), 0, 0, 0)
    states = [state(text, language) for text in texts]
    unreviewed = sum(1 for text, s in zip(texts, states) if s == TRANSLATED and not text.translations[language].reviewed)
    return Status(sheet.id, language, len(texts), states.count(TRANSLATED), states.count(MISSING),
                  states.count(STALE) + states.count(UNVERSIONED), unreviewed)


def project_status(valid: ValidProject) -> list[Status]:
    """Translation counts for every sheet of a checked project and every language it is published in."""
    if not isinstance(valid, ValidProject):
        raise TypeError("project_status() takes a ValidProject: pass factsheet.validated(load_project(root))")
    project = valid.project
    return [sheet_status(project, sheet, language)
            for sheet in project.sheets.values() if sheet.id for language in sheet.languages]
