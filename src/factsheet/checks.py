"""Rules that look across records: references, disputes, dates, quotes.

Each rule is a function from a loaded project to problems, registered in
CHECKS; `check()` runs them all and returns every problem, sorted.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from . import cache, recordcache
from . import model as m
from .errors import InputError
from .pofiles import FOLDER, SHARED, po_path, shared_entries, sheet_entries, target_languages
from .problems import Loc, Problem, Problems, sort_problems
from .project import inner_records

Check = Callable[[m.Project, Problems], None]
SheetCheck = Callable[[m.Project, m.Sheet, Problems], None]
CHECKS: list[Check] = []
SHEET_CHECKS: list[SheetCheck] = []
REFERENCE_CODES = ("unknown-source", "unknown-actor")


def rule(func: Check) -> Check:
    """Register a project-wide check."""
    CHECKS.append(func)
    return func


def sheet_rule(func: SheetCheck) -> SheetCheck:
    """Register a check of one sheet against the shared records: its results are kept per sheet (see sheet_findings)."""
    SHEET_CHECKS.append(func)
    return func


def check(project: m.Project) -> list[Problem]:
    """Every problem in the project: those found while loading, then every rule's, sorted."""
    problems = Problems()
    problems.items.extend(project.problems)
    shared = shared_fingerprint(project)
    findings = {key: sheet_findings(project, key, shared) for key in project.sheets}
    references = []
    for found in findings.values():
        problems.items.extend(p for p in found.problems if p.code not in REFERENCE_CODES)
        references += [p for p in found.problems if p.code in REFERENCE_CODES]
    _unresolved_references(project, references, problems)
    for func in CHECKS:
        func(project, problems)
    _evidence_rules(project, list(findings.values()), problems)
    return sort_problems(problems.items)


@dataclass(frozen=True)
class Findings:
    """What the sheet rules found in one sheet, and what the project-wide rules need of it."""

    problems: list
    quoted: dict  # source id -> how many citations quote it
    quotes: list  # (source, folded quote, withdrawn, record name, line, column) of every quoted citation


def shared_fingerprint(project: m.Project) -> str | None:
    """What every sheet's findings depend on besides the sheet: settings, shared records, archived copies."""
    if project.fingerprint is None:
        return None
    return hashlib.sha256(f"{project.fingerprint}\0{_archive_fingerprint(project)}".encode()).hexdigest()


def sheet_findings(project: m.Project, key: str, shared: str | None) -> Findings:
    """The sheet rules' findings for one sheet: from the cache while the sheet and `shared` are unchanged.

    A thousand-sheet `check` after a one-fact edit builds and checks only the sheet edited.
    """
    summary = project.sheets.summary(key)
    cache_key = None
    if summary.fingerprint and shared:
        cache_key = hashlib.sha256(f"{key}\0{summary.fingerprint}\0{shared}".encode()).hexdigest()
        stored = cache.read("findings", cache_key)
        if stored is not None:
            try:
                problems, quoted, quotes = stored
                return Findings(recordcache.decode(problems, summary.loc.path), quoted, quotes)
            except (TypeError, ValueError, KeyError, IndexError, AttributeError):
                pass  # written by another version: check again
    sheet = project.sheets[key]
    found = Problems()
    for func in SHEET_CHECKS:
        func(project, sheet, found)
    quoted: dict = {}
    quotes = []
    for kind, record, citations in cited_records(sheet):
        for citation in citations:
            if not citation.quote:
                continue
            if citation.source in project.sources:
                quoted[citation.source] = quoted.get(citation.source, 0) + 1
            loc = citation.quote_loc or citation.loc
            quotes.append((citation.source, normalize_for_quotes(citation.quote),
                           getattr(record, "withdrawn", None) is not None, _name(kind, record), loc.line, loc.column))
    findings = Findings(found.items, quoted, quotes)
    if cache_key:
        try:
            cache.write("findings", cache_key, (recordcache.encode(found.items, summary.loc.path), quoted, quotes))
        except recordcache.Unencodable:
            pass
    return findings


def _archive_fingerprint(project: m.Project) -> str:
    """The archived copies quotes are checked against, by name, size and modification time."""
    folder = project.archive_dir()
    if folder is None or not folder.is_dir():
        return "none"
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        info = path.stat()
        digest.update(f"{path.relative_to(folder)}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()


class InvalidProject(InputError):
    """The records have errors, so nothing may be built, sent or counted from them."""


_PASSED = object()  # only validated() holds it, so only a passing check makes a ValidProject


@dataclass(frozen=True)
class ValidProject:
    """A project whose records passed check: the only kind build, send and status accept."""

    project: m.Project
    problems: tuple  # the warnings and notes check found
    token: object = field(repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if self.token is not _PASSED:
            raise TypeError("a ValidProject comes only from factsheet.checks.validated(project)")


def validated(project: m.Project) -> ValidProject:
    """Check a project; return it as a ValidProject, or raise InvalidProject carrying every problem."""
    problems = check(project)
    errors = sum(p.is_error for p in problems)
    if errors:
        raise InvalidProject(f"The records have {errors} error(s): fix them first (run 'factsheet check' to see every "
                             "problem).", problems)
    return ValidProject(project, tuple(problems), _PASSED)


# --- walking the records ----------------------------------------------------


def cited_records(sheet: m.Sheet) -> Iterator[tuple[str, object, tuple]]:
    """Yield (kind, record, citations) for every record of a sheet that cites sources."""
    for record, kind in inner_records(sheet):
        if hasattr(record, "citations"):
            yield kind, record, record.citations


def attributed_records(sheet: m.Sheet) -> Iterator[tuple[str, object]]:
    """Yield (kind, record) for every fact and claim of a sheet, the records with attributions."""
    for record, kind in inner_records(sheet):
        if getattr(record, "attribution", None) is not None:
            yield kind, record


# --- rules --------------------------------------------------------------------


def _unresolved_references(project: m.Project, found: list, problems: Problems) -> None:
    """Every citation and attribution names something that exists.

    When a record file could not be read at all, what it defined is missing,
    and every reference to it would be reported; one note says so instead.
    """
    if not project.unreadable:
        problems.items.extend(found)
    elif found:
        names = ", ".join(path.name for path in project.unreadable)
        problems.note(Loc(project.unreadable[0], 1, 1), "references-unchecked",
                      f"{len(found)} reference(s) to actors or sources could not be resolved, perhaps because "
                      f"{names} could not be read: fix the error there, then check again")


@sheet_rule
def known_sources(project: m.Project, sheet: m.Sheet, problems: Problems) -> None:
    """Every citation names a source that exists."""
    for kind, record, citations in cited_records(sheet):
        for citation in citations:
            if citation.source not in project.sources:
                problems.error(citation.loc, "unknown-source",
                               f"{_name(kind, record)} cites source '{citation.source}', which is not defined: "
                               f"add it to sources.yaml{_suggest(citation.source, project.sources)}")


@sheet_rule
def known_actors(project: m.Project, sheet: m.Sheet, problems: Problems) -> None:
    """Every attribution names actors that exist."""
    for kind, record in attributed_records(sheet):
        attribution = record.attribution
        for actor in attribution.actors:
            if actor not in project.actors:
                problems.error(attribution.loc, "unknown-actor",
                               f"{_name(kind, record)} is attributed to actor '{actor}', which is not defined: "
                               f"add it to actors.yaml{_suggest(actor, project.actors)}")


@sheet_rule
def sheet_languages(project: m.Project, sheet: m.Sheet, problems: Problems) -> None:
    """A sheet is published only in the project's languages."""
    if project.settings is None:
        return
    allowed = project.settings.all_languages
    for code in sheet.languages:
        if code not in allowed:
            problems.error(sheet.loc, "unknown-language",
                           f"{_name('sheet', sheet)} lists language '{code}', which the project does not publish: "
                           f"add it to 'languages' in settings.yaml or remove it from the sheet (project languages: {', '.join(allowed)})")


@sheet_rule
def disputed_figures(project: m.Project, sheet: m.Sheet, problems: Problems) -> None:
    """A disputed figure has claims from at least two different attributions."""
    for figure in sheet.figures:
        voices = {claim.attribution.key for claim in figure.claims if claim.attribution}
        if figure.disputed and len(voices) < 2:
            problems.error(figure.loc, "dispute-needs-claims",
                           f"{_name('figure', figure)} is marked disputed but has claims from {len(voices)} "
                           "attribution(s): add the competing claim with its own attribution, or remove 'disputed: true'")
        if not figure.disputed and len(voices) >= 2 and _claims_conflict(figure.claims):
            problems.warning(figure.loc, "undeclared-dispute",
                             f"{_name('figure', figure)} has claims that do not agree but is not marked disputed: add 'disputed: true'")


def _claims_conflict(claims: tuple) -> bool:
    spans = [(c.value.low, c.value.high) for c in claims if c.value]
    for i, (low_a, high_a) in enumerate(spans):
        for low_b, high_b in spans[i + 1:]:
            if (high_a is not None and low_b is not None and low_b > high_a) or \
               (high_b is not None and low_a is not None and low_a > high_b):
                return True
    return False


@sheet_rule
def dates_within_as_of(project: m.Project, sheet: m.Sheet, problems: Problems) -> None:
    """Nothing on a sheet is dated after the day the sheet speaks as of."""
    if sheet.as_of is None:
        return
    as_of = sheet.as_of.latest()
    for record, kind in inner_records(sheet):
        when = getattr(record, "date", None) or getattr(record, "as_of", None)
        if when is not None and when.earliest() > as_of:
            field = "date" if getattr(record, "date", None) else "as_of"
            problems.error(record.loc, "date-after-as-of",
                           f"{_name(kind, record)} has {field} {when}, after the sheet's as_of {sheet.as_of}: "
                           "correct the date, or move the sheet's as_of forward")


@rule
def unused_records(project: m.Project, problems: Problems) -> None:
    """Warn about sources nobody cites and actors nobody names (unless a file that may use them is unreadable)."""
    if project.unreadable:
        return
    summaries = [project.sheets.summary(key) for key in project.sheets]
    cited = {source for summary in summaries for source in summary.sources}
    for source in project.sources.values():
        if source.id and source.id not in cited:
            problems.warning(source.loc, "unused-source", f"source '{source.id}' is never cited: cite it or remove it")
    named = {actor for summary in summaries for actor in summary.actors}
    for actor in project.actors.values():
        if actor.id and actor.id not in named:
            problems.warning(actor.loc, "unused-actor", f"actor '{actor.id}' is never named in an attribution: use it or remove it")


@rule
def project_has_sheets(project: m.Project, problems: Problems) -> None:
    """A project with nothing to publish is worth a warning."""
    if not project.sheets and project.settings is not None:
        problems.warning(project.settings.loc, "no-sheets", "the project has no sheets yet: add one under factsheets/sheets/")


# --- quotes -------------------------------------------------------------------

_QUOTE_MARKS = dict.fromkeys(map(ord, "'\"‘’‚‛“”„‟«»‹›′″`´"), "'")
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−"), "-")


def normalize_for_quotes(text: str) -> str:
    """Fold white space, quote marks, dashes and case so a quote matches its source."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTE_MARKS).translate(_DASHES)
    return " ".join(text.replace("…", "...").casefold().split())


@sheet_rule
def quotes_match_archive(project: m.Project, sheet: m.Sheet, problems: Problems) -> None:
    """Every quote occurs in its source's archived copy, in the paragraph its locator names, and is short."""
    archive_dir = project.archive_dir()
    for kind, record, citations in cited_records(sheet):
        for citation in citations:
            if not citation.quote:
                continue
            words = len(citation.quote.split())
            if words > m.QUOTE_WORD_LIMIT:
                problems.warning(citation.quote_loc or citation.loc, "quote-too-long",
                                 f"{_name(kind, record)} quotes {words} words from '{citation.source}'; "
                                 f"keep evidence to at most {m.QUOTE_WORD_LIMIT} words")
            source = project.sources.get(citation.source)
            copy = _read_archive(project, archive_dir, source) if source is not None else None
            if copy is None:
                continue  # said once per source, with the count, by archived_sources
            quote = normalize_for_quotes(citation.quote)
            if quote not in copy.text:
                problems.error(citation.quote_loc or citation.loc, "quote-not-found",
                               f"{_name(kind, record)}: the quote \"{_clip(citation.quote)}\" does not occur in the "
                               f"archived copy of '{source.id}': copy it exactly from the article")
                continue
            _quote_in_paragraph(kind, record, citation, quote, source, copy, problems)


def _archived_sources(project: m.Project, quoted: dict, problems: Problems) -> None:
    """A source whose paragraphs cannot be counted is an error; one whose quotes cannot be checked, a note with how many."""
    archive_dir = project.archive_dir()
    for source in project.sources.values():
        if source.paragraphs_after:
            copy = _read_archive(project, archive_dir, source)
            if copy is not None and copy.paragraphs is None:
                problems.error(source.loc, "bad-paragraphs-after",
                               f"source '{source.id}': no line of its archived copy reads \"{_clip(source.paragraphs_after)}\", "
                               "so paragraph locators cannot be checked: copy the line exactly from the archived file")
    for source_id, count in quoted.items():
        source = project.sources[source_id]
        if _read_archive(project, archive_dir, source) is not None:
            continue
        reason = (f"its archived copy '{source.archive}' was not found in {archive_dir}" if source.archive and archive_dir
                  else "it has no archived copy (set 'archive' on the source and in settings.yaml)")
        problems.note(source.loc, "quote-unverified",
                      f"{count} quote(s) from source '{source_id}' cannot be verified: {reason}")


@rule
def reads_stay_inside(project: m.Project, problems: Problems) -> None:
    """The archive lies inside the project or a folder named in read_outside, and so does every archived copy."""
    settings = project.settings
    if settings is None or settings.archive is None:
        return
    folder = (project.root / settings.archive).resolve()
    if not project.readable(folder):
        problems.error(settings.loc, "outside-project",
                       f"settings, field 'archive': '{settings.archive}' leads outside the project, to {folder}: move the "
                       f"archive into the project, or name the folder in read_outside if it is meant to be read")
        return
    for source in project.sources.values():
        if source.archive and (folder / source.archive).exists() and not project.readable(folder / source.archive):
            problems.error(source.loc, "outside-project",
                           f"source '{source.id}': archived copy '{source.archive}' is a link leading outside the "
                           "project: put the file itself in the archive")


PARAGRAPH = re.compile(r"^paragraphs? (\d+)(?:\s*(?:-|–|to|and)\s*(\d+))?$")


@dataclass(frozen=True)
class ArchivedCopy:
    """An archived source, folded for quote matching: whole, and by body paragraph when the source says where they start."""

    text: str
    paragraphs: list | None


def _read_archive(project: m.Project, archive_dir, source: m.Source) -> ArchivedCopy | None:
    if archive_dir is None or not source.archive:
        return None
    path = archive_dir / source.archive
    if not project.readable(path):
        return None  # a symlink in the archive leading elsewhere: reported by reads_stay_inside
    try:
        info = path.stat()
    except OSError:
        return None
    return _archived_copy(path, info.st_size, info.st_mtime_ns, source.paragraphs_after)


@functools.lru_cache(maxsize=256)
def _archived_copy(path: Path, size: int, mtime: int, paragraphs_after: str | None) -> ArchivedCopy | None:
    """An archived copy folded for matching; kept while the file is unchanged, as every sheet citing it asks again."""
    try:
        raw = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    paragraphs = None
    if paragraphs_after:
        lines = [line.strip() for line in raw.splitlines()]
        if paragraphs_after.strip() in lines:
            start = lines.index(paragraphs_after.strip()) + 1
            paragraphs = [normalize_for_quotes(line) for line in lines[start:] if line]
    return ArchivedCopy(normalize_for_quotes(raw), paragraphs)


def _quote_in_paragraph(kind: str, record, citation: m.Citation, quote: str, source: m.Source, copy: ArchivedCopy,
                        problems: Problems) -> None:
    """A quote whose citation names a paragraph must lie in that paragraph (or range of paragraphs)."""
    match = PARAGRAPH.match((citation.locator or "").strip().lower())
    if not match or copy.paragraphs is None:
        return
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if " ".join(copy.paragraphs[first - 1:last]).find(quote) >= 0:
        return
    found = [index for index, paragraph in enumerate(copy.paragraphs, 1) if quote in paragraph]
    where = f"it is in paragraph {found[0]}" if found else "it runs across paragraphs"
    problems.error(citation.quote_loc or citation.loc, "quote-wrong-paragraph",
                   f"{_name(kind, record)}: the quote \"{_clip(citation.quote)}\" is not in {citation.locator} of "
                   f"'{source.id}' ({where}, counting the lines after \"{_clip(source.paragraphs_after, 30)}\"): "
                   "fix the locator")


def _name(kind: str, record) -> str:
    """How messages name a record: by id, or by line when its id is missing."""
    return f"{kind} '{record.id}'" if record.id else f"the {kind} at line {record.loc.line}"


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _suggest(name: str, known: dict) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""



@sheet_rule
def one_quantity_per_figure(project: m.Project, sheet: m.Sheet, problems: Problems) -> None:
    """Every claim of a figure counts what the figure counts: two quantities are never drawn as rival estimates."""
    for figure in sheet.figures:
        for claim in figure.claims:
            if claim.measures and figure.measures and claim.measures != figure.measures:
                problems.error(claim.loc, "mixed-quantities",
                               f"claim '{claim.id}' counts '{claim.measures}' but figure '{figure.id}' counts "
                               f"'{figure.measures}': a figure's claims are rival estimates of one quantity, so "
                               f"give this claim a figure of its own and set the two side by side in a contrast")


@sheet_rule
def contrasts_compare_different_quantities(project: m.Project, sheet: m.Sheet, problems: Problems) -> None:
    """A contrast sets two existing figures of the same sheet side by side, and they count different things."""
    figures = {figure.id: figure for figure in sheet.figures}
    for contrast in sheet.contrasts:
        unknown = [figure_id for figure_id in contrast.figures if figure_id not in figures]
        for figure_id in unknown:
            close = difflib.get_close_matches(figure_id, list(figures), n=1)
            advice = f" (did you mean '{close[0]}'?)" if close else ""
            problems.error(contrast.loc, "unknown-figure",
                           f"contrast '{contrast.id}' names figure '{figure_id}', which sheet '{sheet.id}' does not "
                           f"have{advice}: name two of its figures")
        if unknown or len(contrast.figures) != 2:
            continue
        first, second = (figures[figure_id] for figure_id in contrast.figures)
        if first.id == second.id:
            problems.error(contrast.loc, "bad-contrast",
                           f"contrast '{contrast.id}' names figure '{first.id}' twice: name two different figures")
        elif first.measures == second.measures:
            problems.error(contrast.loc, "bad-contrast",
                           f"contrast '{contrast.id}': figures '{first.id}' and '{second.id}' both count "
                           f"'{first.measures}': estimates of one quantity belong in one figure with a claim each "
                           "(marked disputed if they disagree), not in a contrast")


def _evidence_rules(project: m.Project, findings: list, problems: Problems) -> None:
    """The rules that weigh quotes across sheets, from each sheet's findings."""
    quoted: dict = {}
    for found in findings:
        for source_id, count in found.quoted.items():
            quoted[source_id] = quoted.get(source_id, 0) + count
    _archived_sources(project, quoted, problems)
    _withdrawn_evidence(project, findings, problems)


def _withdrawn_evidence(project: m.Project, findings: list, problems: Problems) -> None:
    """Warn when a record rests on the same quote as a withdrawn one: the evidence may need a second look."""
    withdrawn: dict = {}
    for found in findings:
        for source, quote, gone, name, _, _ in found.quotes:
            if gone:
                withdrawn.setdefault((source, quote), name)
    if not withdrawn:
        return
    for key, found in zip(project.sheets, findings):
        path = project.sheets.summary(key).loc.path
        for source, quote, gone, name, line, column in found.quotes:
            if not gone and (source, quote) in withdrawn:
                problems.warning(Loc(path, line, column), "rests-on-withdrawn",
                                 f"{name} rests on the same quote from '{source}' as {withdrawn[(source, quote)]}, "
                                 "which was withdrawn: check that it still stands")


@sheet_rule
def sheet_translations_current(project: m.Project, sheet: m.Sheet, problems: Problems) -> None:
    """Say, per language, which of a sheet's texts have no translation, and which were translated from an earlier English."""
    if project.settings is None or not sheet.id or project.sheets.get(sheet.id) is not sheet:
        return
    languages = [lang for lang in target_languages(project) if lang in sheet.languages]
    problems.items.extend(translation_problems(project, sheet.id, sheet_entries(sheet), languages, sheet.loc))


@rule
def shared_translations_current(project: m.Project, problems: Problems) -> None:
    """The same for the texts every sheet shares (actors, sources), in the languages some sheet is published in."""
    if project.settings is None:
        return
    published = {lang for key in project.sheets for lang in project.sheets.summary(key).languages}
    problems.items.extend(translation_problems(project, SHARED, shared_entries(project), target_languages(project),
                                               project.settings.loc, published))


def translation_problems(project: m.Project, name: str, entries: list, languages, fallback: Loc,
                         published: set | None = None) -> list[Problem]:
    """Missing and fuzzy translations of one catalog's entries into `languages`, each tagged with its language.

    Missing ones count only in the `published` languages, when given: shared texts no sheet shows in a language
    need no translation into it.
    """
    from .translations import MISSING, STALE, state

    found = Problems()
    for language in languages:
        path = po_path(project.root, language, name)
        missing = [entry for entry in entries if state(entry.text, language) == MISSING]
        if missing and (published is None or language in published):
            names = ", ".join(entry.where for entry in missing[:3]) + (", ..." if len(missing) > 3 else "")
            loc = Loc(path, 1, 1) if path.is_file() else fallback
            found.warning(loc, "missing-translation",
                          f"{len(missing)} text(s) have no '{language}' translation in {FOLDER}/{language}/{name}.po "
                          f"({names}): translate them there; 'factsheet translations update' adds any not listed yet",
                          language)
        for entry in entries:
            if state(entry.text, language) == STALE:
                translation = entry.text.translations[language]
                found.warning(translation.loc, "stale-translation",
                              f"the '{language}' translation of {entry.where} is fuzzy: "
                              f"{_what_changed(translation.previous, entry.text.source)}; update it, then clear "
                              "its fuzzy flag", language)
    return found.items


def _what_changed(previous: str | None, current: str) -> str:
    """The English edit a fuzzy translation has not caught up with, in a few words."""
    if previous is None:
        return "it is marked as needing work"
    import difflib

    old, new = previous.split(), current.split()
    changes = []
    for tag, a, b, c, d in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag != "equal":
            changes.append(f"«{_clip(' '.join(old[a:b]), 40)}» → «{_clip(' '.join(new[c:d]), 40)}»"
                           .replace("«»", "(nothing)"))
    if not changes:
        return "the English changed only in spacing"
    shown = "; ".join(changes[:3]) + (f"; and {len(changes) - 3} more change(s)" if len(changes) > 3 else "")
    return f"the English changed: {shown}"


@rule
def interface_catalogs(project: m.Project, problems: Problems) -> None:
    """Every published language has an interface catalog, or its PDFs would show English headings."""
    if project.settings is None:
        return
    from .i18n import catalog_contents, catalog_path

    for language in project.settings.all_languages:
        for folder in project.locale_dirs:
            own = folder / language.replace("-", "_") / "LC_MESSAGES" / "factsheet.po"
            if own.is_file() and not m.is_inside(own, (project.root.resolve(),)):
                problems.error(Loc(own, 1, 1), "outside-project",
                               f"this catalog is a link to {own.resolve()}, outside the project: copy the file in "
                               "instead of linking to it")
        path = catalog_path(language, project.locale_dirs)
        if language != "en" and path is None:
            problems.warning(project.settings.loc, "missing-catalog",
                             f"no interface catalog for '{language}': headings and labels would be in English; copy "
                             f"locale/factsheet.pot to locale/{language.replace('-', '_')}/LC_MESSAGES/factsheet.po and "
                             "translate it (see the project's README)", language)
        elif path is not None:
            messages, _, found = catalog_contents(path, language)
            for line, code, message in found:
                problems.error(Loc(path, line, 1), code, message, language)
            if language != project.settings.source_language and not found:
                _catalog_complete(path, language, messages, problems)


def _catalog_complete(path, language: str, messages: dict, problems: Problems) -> None:
    """Warn about an interface catalog that leaves some of factsheet's messages in English."""
    from .i18n import interface_messages

    wanted = interface_messages()
    untranslated = [msgid for msgid in wanted if not messages.get(msgid)]
    if untranslated:
        shown = ", ".join(f'"{msgid}"' for msgid in untranslated[:3]) + (", ..." if len(untranslated) > 3 else "")
        problems.warning(Loc(path, 1, 1), "partial-catalog",
                         f"the '{language}' interface catalog translates {len(wanted) - len(untranslated)} of "
                         f"{len(wanted)} messages; the rest ({shown}) would appear in English: translate them",
                         language)


@rule
def templates_usable(project: m.Project, problems: Problems) -> None:
    """The templates the settings name can be read, and their marking speaks every published language."""
    if project.settings is None:
        return
    from .templates import TemplateError, load_template, load_typography

    try:
        load_typography(project.root / "templates")
    except TemplateError as exc:
        problems.items.extend(exc.problems)
    for name in dict.fromkeys((project.settings.template, *project.settings.extra_templates)):
        try:
            template = load_template(project.root / "templates", name, project.readable_roots())
        except TemplateError as exc:
            problems.items.extend(exc.problems)
            continue
        for language in project.settings.all_languages:
            if language != project.settings.source_language and language not in template.marking.translations:
                problems.warning(template.marking.loc, "missing-marking",
                                 f"template '{name}' has no '{language}' distribution marking, so '{language}' PDFs "
                                 f"would show it in English: add a '{language}:' line under marking", language)
