"""One sheet in one language: texts picked, dates and numbers formatted, citations numbered.

This stage is pure: it turns validated records into plain strings and
numbers for the layout, and knows nothing of ReportLab.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import model as m
from .i18n import N_, STATUS_LABELS, Translator, format_names, format_partial_date, format_value, format_when, translator
from .pofiles import shown_texts
from .templates import load_typography
from .typography import NBSP, Typography, typeset
from .translations import TRANSLATED, state

# Interface labels the layout needs, by key; resolved once per language.
LABELS = {
    "summary": N_("Summary"),
    "key_figures": N_("Key figures"),
    "key_facts": N_("Key facts"),
    "disputed_figures": N_("Disputed figures"),
    "timeline": N_("Timeline"),
    "sources": N_("Sources"),
    "as_of": N_("As of {date}"),
    "page": N_("Page {page} of {pages}"),
    "claim": N_("Claim"),
    "according_to": N_("According to {who}"),
    "according_to_column": N_("According to"),
    "date": N_("Date"),
    "scale_linear": N_("Linear scale"),
    "scale_log": N_("Logarithmic scale: each step is ten times the one before"),
    "open_ended": N_("Arrow: no upper limit given"),
    "axis_title": N_("Scale: {unit}"),
    "mark_exact": N_("Bar: the value given"),
    "mark_range": N_("Bar between two end marks: a range"),
    "mark_less": N_("Bar ending in a cap: at most the value"),
    "mark_about": N_("Dot: about the value"),
    "mark_colours": N_("Each claim has a colour of its own, on its own row"),
    "publisher_unknown": N_("Publisher unknown"),
    "corrections": N_("Corrections"),
    "corrected": N_("Corrected {date}"),
    "withdrawn": N_("Withdrawn {date}"),
    "contrast_note": N_("Two different quantities, not rival estimates"),
    "legend": N_("How sure is each statement?"),
    "bottom_line": N_("Bottom line"),
    "key_numbers": N_("Key numbers"),
    "prevails": N_("Translated from English. Where the two differ, the English text prevails."),
    "continued": N_("{heading} (continued)"),
    "legend_confirmed": N_("shown first-hand in the material cited"),
    "legend_reported": N_("a source reports it; the desk has not verified it"),
    "legend_claimed": N_("asserted by a party with a stake in it; unverified"),
    "legend_disputed": N_("credible sources contradict each other"),
    "build": N_("Build {id}"),
    "edition": N_("Edition {number}, {date}"),
    "draft": N_("Draft of edition {number}, not yet published"),
    "changes_since": N_("Changes since {date}"),
    "new": N_("New"),
    "updated": N_("Updated"),
    "status": N_("Status"),
}


@dataclass(frozen=True, slots=True)
class RText:
    """A content text chosen for one language, and whether it fell back to the source."""

    text: str
    where: str  # names the record and field, for messages ("fact 'x' text")
    fallback: bool = False
    unreviewed: bool = False


@dataclass(frozen=True, slots=True)
class RFact:
    """A fact ready to lay out."""

    id: str
    text: RText
    status: str
    status_label: str
    attribution: str
    date: str | None
    citations: tuple
    key: bool
    corrected: str | None = None  # "Corrected 2 July 2025" when the fact carries corrections
    change: str | None = None  # "new" or "updated" since the previous edition


@dataclass(frozen=True, slots=True)
class RCorrection:
    """A dated line of the Corrections block: a record corrected, or withdrawn, and why."""

    kind: str  # corrected | withdrawn
    label: str  # "Corrected 2 July 2025"
    subject: RText  # the record as it now reads (corrected), or as it read (withdrawn)
    note: RText
    record: str  # "fact 'x'"


@dataclass(frozen=True, slots=True)
class RContrast:
    """Two figures of different quantities, side by side, and what the contrast means."""

    id: str
    title: RText
    meaning: RText
    sides: tuple  # two RFigure


@dataclass(frozen=True, slots=True)
class RSection:
    """A section ready to lay out."""

    id: str
    title: RText
    facts: tuple


@dataclass(frozen=True, slots=True)
class RClaim:
    """One claim of a figure, formatted."""

    id: str
    value: m.Value
    value_text: str
    attribution: str
    as_of: str
    citations: tuple
    note: RText | None = None
    corrected: str | None = None
    status: str = "claimed"
    status_label: str = ""
    change: str | None = None  # "new" or "updated" since the previous edition


@dataclass(frozen=True, slots=True)
class RFigure:
    """A figure with every claim kept apart."""

    id: str
    label: RText
    unit: RText
    disputed: bool
    key: bool
    claims: tuple


@dataclass(frozen=True, slots=True)
class REntry:
    """A timeline line: a dated event or a dated fact."""

    date: str
    text: RText
    citations: tuple


@dataclass(frozen=True, slots=True)
class RSource:
    """A numbered entry of the source list."""

    number: int
    id: str
    title: str
    translated_title: str | None
    publisher: str
    published: str
    url: str | None
    note: RText | None
    language: str = ""  # the language the source is written in (its title is shown as written)


@dataclass(frozen=True, slots=True)
class RChanges:
    """The block saying what changed since the previous edition: its heading and one line per kind of change."""

    heading: str  # "Changes since 30 June 2025"
    lines: tuple


@dataclass(frozen=True, slots=True)
class ResolvedSheet:
    """Everything the layout needs for one sheet in one language, as plain values."""

    sheet_id: str
    language: str
    source_language: str
    title: RText
    summary: RText
    as_of: str
    organisation: str
    sections: tuple
    figures: tuple
    timeline: tuple
    sources: tuple
    labels: dict
    notices: tuple
    translator: Translator  # for interface messages whose form depends on a count
    keywords: tuple = field(default=())
    contrasts: tuple = ()
    corrections: tuple = ()
    hyphenation: str | None = None  # the pyphen dictionary for this language, from typography.yaml
    bottom_line: tuple = ()  # RFact takeaways for the panel at the top of page 1
    edition: str = ""  # "Edition 1, 30 June 2025": what the reader holds, set from editions/ for a PDF
    edition_number: int = 0  # the edition it is, or the next one when a draft (set with `edition`)
    published: bool = False  # True when it is what its latest edition recorded, not a draft
    changes: RChanges | None = None  # what changed since the previous edition, when there was one

    def every_figure(self) -> tuple:
        """The figures shown on their own and those shown side by side in a contrast."""
        return (*self.figures, *(side for contrast in self.contrasts for side in contrast.sides))

    def texts(self):
        """Every string that will be drawn, with where it comes from (for glyph checks)."""
        yield self.title.text, self.title.where
        yield self.summary.text, self.summary.where
        yield self.as_of, "as_of"
        yield self.edition, "edition"
        yield self.organisation, "settings organisation"
        for key, label in self.labels.items():
            yield label, f"interface label '{key}'"
        for notice in self.notices:
            yield notice, "notice"
        for fact in self.bottom_line:
            yield fact.text.text, fact.text.where
            yield fact.attribution, f"takeaway '{fact.id}' attribution"
        for section in self.sections:
            yield section.title.text, section.title.where
            for fact in section.facts:
                yield fact.text.text, fact.text.where
                yield fact.attribution, f"fact '{fact.id}' attribution"
                yield fact.status_label, f"fact '{fact.id}' status"
                if fact.date:
                    yield fact.date, f"fact '{fact.id}' date"
        for figure in self.every_figure():
            yield figure.label.text, figure.label.where
            yield figure.unit.text, figure.unit.where
            for claim in figure.claims:
                yield claim.value_text, f"claim '{claim.id}' value"
                yield claim.attribution, f"claim '{claim.id}' attribution"
                yield claim.as_of, f"claim '{claim.id}' as_of"
                yield claim.status_label, f"claim '{claim.id}' status"
                if claim.note:
                    yield claim.note.text, claim.note.where
        for entry in self.timeline:
            yield entry.date, f"{entry.text.where} date"
            yield entry.text.text, entry.text.where
        for contrast in self.contrasts:
            yield contrast.title.text, contrast.title.where
            yield contrast.meaning.text, contrast.meaning.where
        if self.changes:
            yield self.changes.heading, "changes heading"
            for line in self.changes.lines:
                yield line, "changes since the previous edition"
        for item in self.corrections:
            yield item.label, f"{item.record} correction"
            yield item.subject.text, item.subject.where
            yield item.note.text, item.note.where
        for source in self.sources:
            for value, name in ((source.title, "title"), (source.translated_title, "translated_title"),
                                (source.publisher, "publisher"), (source.published, "published"), (source.url, "url")):
                if value:
                    yield value, f"source '{source.id}' {name}"
            if source.note:
                yield source.note.text, source.note.where


LINK_SCHEMES = ("http://", "https://", "mailto:")


def safe_link(url: str | None) -> str | None:
    """The URL if its scheme is one we allow to become a link (never javascript: or file:), else None."""
    if url and url.lower().startswith(LINK_SCHEMES):
        return url
    return None


def pick(text: m.Text, language: str, source_language: str, where: str) -> RText:
    """The text in `language`, or the source text marked as a fallback when no current translation exists."""
    if language == source_language:
        return RText(text.source, where)
    translation = text.translations.get(language)
    if state(text, language) != TRANSLATED:
        return RText(text.source, where, fallback=True)
    return RText(translation.text, where, unreviewed=not translation.reviewed)


class _Resolver:
    def __init__(self, project: m.Project, sheet: m.Sheet, language: str) -> None:
        self.project = project
        self.sheet = sheet
        self.language = language
        self.source_language = project.settings.source_language
        self.t: Translator = translator(language, project.locale_dirs)
        self.labels = {key: self.t.gettext(message) for key, message in LABELS.items()}
        self.labels.update({f"status_{key}": self.t.gettext(message) for key, message in STATUS_LABELS.items()})
        self.numbers: dict[str, int] = {}
        self.typography: Typography = typography_for(project, language)
        self.dates = date_locale(self.typography, self.t)

    def text(self, value: m.Text, where: str) -> RText:
        picked = pick(value, self.language, self.source_language, where)
        return replace(picked, text=typeset(picked.text, self.typography))

    def cite(self, citations: tuple) -> tuple:
        result = []
        for citation in citations:
            number = self.numbers.setdefault(citation.source, len(self.numbers) + 1)
            if number not in result:
                result.append(number)
        return tuple(sorted(result))

    def actor_name(self, actor_id: str) -> str:
        """An actor as named inside a sentence ("according to ..."): its in_sentence form where it has one."""
        actor = self.project.actors[actor_id]
        if actor.in_sentence is not None:
            return self.text(actor.in_sentence, f"actor '{actor_id}' in a sentence").text
        name = self.text(actor.name, f"actor '{actor_id}' name").text
        # A short name is one unit: never "Sergei / Shoigu" or "Хон / Мин" across two lines.
        return name.replace(" ", NBSP) if len(name.split()) <= 3 else name

    def attribution(self, attribution: m.Attribution) -> str:
        who = format_names([self.actor_name(a) for a in attribution.who], self.t.locale)
        if attribution.via:
            return self.t.gettext("{who}, as reported by {via}", who=who, via=self.actor_name(attribution.via))
        return who

    def corrected(self, record) -> str | None:
        """'Corrected <date of the latest correction>', for a record that carries corrections."""
        if not record.corrections:
            return None
        latest = max(record.corrections, key=lambda c: c.date.latest()).date
        return self.labels["corrected"].format(date=format_partial_date(latest, self.dates))

    def fact(self, fact: m.Fact, kind: str = "fact") -> RFact:
        return RFact(fact.id, self.text(fact.text, f"{kind} '{fact.id}' text"), fact.status,
                     self.t.gettext(STATUS_LABELS[fact.status]), self.attribution(fact.attribution),
                     format_partial_date(fact.date, self.dates) if fact.date else None,
                     self.cite(fact.citations), fact.key, self.corrected(fact))

    def claim(self, claim: m.Claim, unit: RText) -> RClaim:
        note = self.text(claim.note, f"claim '{claim.id}' note") if claim.note else None
        value = typeset(format_value(claim.value, unit.text, self.t), self.typography)  # "6,000 soldiers" on one line
        return RClaim(claim.id, claim.value, value, self.attribution(claim.attribution),
                      format_partial_date(claim.as_of, self.dates), self.cite(claim.citations), note,
                      self.corrected(claim), claim.status, self.t.gettext(STATUS_LABELS[claim.status]))

    def figure(self, figure: m.Figure) -> RFigure:
        unit = self.text(figure.unit, f"figure '{figure.id}' unit")
        return RFigure(figure.id, self.text(figure.label, f"figure '{figure.id}' label"), unit, figure.disputed, figure.key,
                       tuple(self.claim(c, unit) for c in figure.claims if c.withdrawn is None))

    def contrast(self, contrast: m.Contrast, figures: dict) -> RContrast:
        return RContrast(contrast.id, self.text(contrast.title, f"contrast '{contrast.id}' title"),
                         self.text(contrast.meaning, f"contrast '{contrast.id}' meaning"),
                         tuple(self.figure(figures[figure_id]) for figure_id in contrast.figures))

    def corrections(self) -> tuple:
        """Every withdrawal and correction of the sheet's facts and claims, oldest first."""
        items = []
        for record, kind in [(f, "fact") for f in self.sheet.facts()] + \
                [(c, "claim") for figure in self.sheet.figures for c in figure.claims]:
            subject = (self.text(record.text, f"fact '{record.id}' text") if kind == "fact" else
                       self._claim_subject(record))
            if record.withdrawn is not None:
                items.append((record.withdrawn.date, RCorrection(
                    "withdrawn", self.labels["withdrawn"].format(date=format_partial_date(record.withdrawn.date, self.dates)),
                    subject, self.text(record.withdrawn.note, f"{kind} '{record.id}' withdrawal note"),
                    f"{kind} '{record.id}'")))
            for index, item in enumerate(record.corrections, 1):
                items.append((item.date, RCorrection(
                    "corrected", self.labels["corrected"].format(date=format_partial_date(item.date, self.dates)),
                    subject, self.text(item.note, f"{kind} '{record.id}' correction {index} note"), f"{kind} '{record.id}'")))
        items.sort(key=lambda pair: (pair[0].earliest(), pair[0].latest()))
        return tuple(item for _, item in items)

    def _claim_subject(self, claim: m.Claim) -> RText:
        figure = next(f for f in self.sheet.figures if claim in f.claims)
        unit = self.text(figure.unit, f"figure '{figure.id}' unit")
        label = self.text(figure.label, f"figure '{figure.id}' label")
        value = format_value(claim.value, unit.text, self.t)
        who = self.labels["according_to"].format(who=self.attribution(claim.attribution))
        return RText(f"{label.text}: {value} ({who})", label.where, label.fallback or unit.fallback, label.unreviewed)

    def timeline(self) -> tuple:
        """The editors' chronology: the sheet's events, each with its own short text, in date order (never a copy of the facts)."""
        dated = [(event.date, event.text, f"event '{event.id}' text", event.citations) for event in self.sheet.timeline]
        dated.sort(key=lambda item: (item[0].earliest(), item[0].latest()))
        return tuple(REntry(format_partial_date(date, self.dates), self.text(text, where), self.cite(citations))
                     for date, text, where, citations in dated)

    def source(self, source_id: str, number: int) -> RSource:
        source = self.project.sources[source_id]
        translated = source.translated_title.get(self.language) if self.language != source.language else None
        note = self.text(source.note, f"source '{source_id}' note") if source.note else None
        return RSource(number, source_id, source.title, translated,
                       source.publisher if source.publisher is not m.UNKNOWN else self.labels["publisher_unknown"],
                       format_when(source.published, self.t, self.dates),
                       source.url if isinstance(source.url, str) else None, note, source.language)

    def resolve(self) -> ResolvedSheet:
        sheet = self.sheet
        # A withdrawn fact is not shown as a fact: the Corrections block lists it, with its note.
        bottom_line = tuple(self.fact(item, "takeaway") for item in sheet.bottom_line)
        sections = tuple(RSection(s.id, self.text(s.title, f"section '{s.id}' title"),
                                  tuple(self.fact(f) for f in s.facts if f.withdrawn is None))
                         for s in sheet.sections)
        in_contrasts = {figure_id for contrast in sheet.contrasts for figure_id in contrast.figures}
        by_id = {figure.id: figure for figure in sheet.figures}
        contrasts = tuple(self.contrast(c, by_id) for c in sheet.contrasts)
        figures = tuple(self.figure(f) for f in sheet.figures if f.id not in in_contrasts)
        timeline = self.timeline()
        corrections = self.corrections()
        sources = tuple(self.source(source_id, number) for source_id, number in self.numbers.items())
        resolved = ResolvedSheet(
            sheet.id, self.language, self.source_language,
            self.text(sheet.title, f"sheet '{sheet.id}' title"), self.text(sheet.summary, f"sheet '{sheet.id}' summary"),
            format_partial_date(sheet.as_of, self.dates),
            organisation_name(self.project, self.language),
            sections, figures, timeline, sources, self.labels, (), self.t,
            keywords=tuple(dict.fromkeys(s.title.text for s in sections)), contrasts=contrasts, corrections=corrections,
            hyphenation=self.typography.hyphenation, bottom_line=bottom_line,
        )
        return _with_notices(resolved, shown_texts(self.project, sheet), self.t)


def _with_notices(sheet: ResolvedSheet, shown: list, t: Translator) -> ResolvedSheet:
    """Add the translated notices a reader must see: fallbacks and unreviewed translation.

    `shown` is every text the reader sees, from the same walk check and status use, so each counts once.
    """
    notices = []
    if sheet.language == sheet.source_language:
        return sheet
    states = [state(entry.text, sheet.language) for entry in shown]
    if any(s == TRANSLATED and not entry.text.translations[sheet.language].reviewed for entry, s in zip(shown, states)):
        notices.append(t.gettext("This translation has not yet been reviewed by a person."))
    fallbacks = sum(1 for s in states if s != TRANSLATED)
    if fallbacks:
        notices.append(t.ngettext("{n} text is not yet translated and is shown in the original language, marked †.",
                                  "{n} texts are not yet translated and are shown in the original language, marked †.",
                                  fallbacks))
    return replace(sheet, notices=tuple(notices))


def organisation_name(project: m.Project, language: str) -> str:
    """The desk's name in a language: a proper name, so the translation where one is given, else as written (unmarked)."""
    name = project.settings.organisation
    translation = name.translations.get(language)
    return translation.text if translation is not None else name.source


def date_locale(typography: Typography, t: Translator):
    """The locale whose date style a language's texts use: typography.yaml's choice, else the language's own."""
    from babel import Locale

    return Locale.parse(typography.dates) if typography.dates else t.locale


def typography_for(project: m.Project, language: str) -> Typography:
    """The typography rules of a language (its own, else the default)."""
    rules = load_typography(project.root / "templates")
    return rules.get(language) or rules.get(language.split("-")[0]) or rules["default"]


def resolve_sheet(project: m.Project, sheet: m.Sheet, language: str) -> ResolvedSheet:
    """Resolve one sheet for one language; the project must have passed check."""
    return _Resolver(project, sheet, language).resolve()
