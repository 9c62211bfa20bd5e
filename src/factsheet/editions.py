"""Editions: what readers of each sheet were shown, recorded as diffable text, and what changed since.

An edition is a JSON file under editions/<sheet>/ holding the sheet as the
reader saw it in every language (texts, statuses, attributions, values,
sources), never build hashes or timestamps, so a desk commits it beside its
facts and `git diff` on it reads like the change itself.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path

from . import model as m
from .builder import EDITIONS, atomic_write
from .checks import ValidProject
from .errors import InputError, RequestError, printable
from .i18n import format_partial_date
from .problems import Loc, Problem, Severity
from .resolve import RChanges, ResolvedSheet, date_locale, resolve_sheet, typography_for



class EditionRequestError(RequestError):
    """A sheet, edition or date asked for that does not exist."""


@dataclass(frozen=True)
class Edition:
    """One recorded edition of one sheet."""

    sheet: str
    number: int
    date: dt.date
    content: dict  # language -> what that language's readers saw

    def to_json(self) -> str:
        """The edition as the file stores it: sorted keys, one field per line."""
        return json.dumps({"sheet": self.sheet, "edition": self.number, "date": self.date.isoformat(),
                           "languages": self.content}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Change:
    """One record that differs between two versions of a sheet."""

    kind: str  # new | updated | corrected | withdrawn | removed
    record: str  # sheet | fact | figure | claim | source
    id: str
    old: str | None
    new: str | None
    attribution: str | None = None

    def describe(self) -> str:
        """One line for an editor: what changed, from what, to what."""
        who = f" (according to {self.attribution})" if self.attribution else ""
        if self.old is None:
            return f"{self.kind} {self.record} {self.id}: {self.new}{who}"
        if self.new is None:
            return f"{self.kind} {self.record} {self.id}: was {self.old}"
        return f"{self.kind} {self.record} {self.id}: {self.old} -> {self.new}{who}"


def seen_by_readers(sheet: ResolvedSheet) -> dict:
    """What one language's readers of a sheet are shown, as plain data."""
    source_of = {source.number: source.id for source in sheet.sources}

    def fact(record) -> dict:
        return {"text": record.text.text, "status": record.status, "attribution": record.attribution,
                "date": record.date, "sources": [source_of[n] for n in record.citations], "corrected": record.corrected}

    facts = {f.id: fact(f) for section in sheet.sections for f in section.facts}
    facts.update({f.id: fact(f) for f in sheet.bottom_line})
    return _without_no_break_spaces({
        "title": sheet.title.text,
        "summary": sheet.summary.text,
        "facts": facts,
        "figures": {figure.id: {"label": figure.label.text, "unit": figure.unit.text, "claims": {
            claim.id: {"value": claim.value_text, "status": claim.status, "attribution": claim.attribution,
                       "as_of": claim.as_of, "sources": [source_of[n] for n in claim.citations],
                       "corrected": claim.corrected}
            for claim in figure.claims}} for figure in sheet.every_figure()},
        "corrections": [{"kind": c.kind, "record": c.record, "label": c.label, "note": c.note.text}
                        for c in sheet.corrections],
        "timeline": [{"date": event.date, "text": event.text.text} for event in sheet.timeline],
        "sources": {source.id: {"title": source.title, "publisher": source.publisher, "published": source.published,
                                "url": source.url} for source in sheet.sources},
    })


def _without_no_break_spaces(value):
    """The data with no-break spaces as plain ones: where a line may break is layout, not content."""
    if isinstance(value, str):
        return value.replace("\u00a0", " ").replace("\u202f", " ")
    if isinstance(value, dict):
        return {key: _without_no_break_spaces(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_no_break_spaces(item) for item in value]
    return value


def current(valid: ValidProject, sheet: m.Sheet, languages: list[str] | None = None) -> dict:
    """What readers of `sheet` would be shown now, in each of its languages (or those of `languages` it has)."""
    project = valid.project
    chosen = [lang for lang in project.settings.all_languages if lang in sheet.languages
              and (languages is None or lang in languages)]
    return {language: seen_by_readers(resolve_sheet(project, sheet, language)) for language in chosen}


@dataclass(frozen=True)
class Standing:
    """Which edition one language of a sheet is, and the edition before it that its changes count from."""

    number: int
    date: dt.date | None  # None: a draft of the next edition, not yet published
    previous: Edition | None


def standing(recorded: list[Edition], language: str, content: dict) -> Standing:
    """`content` is the latest edition when it is what that edition recorded for `language`, else a draft of the next."""
    if recorded and recorded[-1].content.get(language) == content:
        return Standing(recorded[-1].number, recorded[-1].date, recorded[-2] if len(recorded) > 1 else None)
    return Standing((recorded[-1].number if recorded else 0) + 1, None, recorded[-1] if recorded else None)


def as_edition(project: m.Project, sheet: ResolvedSheet, recorded: list[Edition]) -> ResolvedSheet:
    """The sheet as its PDF shows it: its edition line, and what changed since the previous edition, marked and listed."""
    content = seen_by_readers(sheet)
    where = standing(recorded, sheet.language, content)
    line = (sheet.labels["edition"].format(number=where.number, date=_day(project, sheet, where.date)) if where.date else
            sheet.labels["draft"].format(number=where.number))
    sheet = replace(sheet, edition=line, edition_number=where.number, published=where.date is not None)
    return since(project, sheet, where.previous, content) if where.previous else sheet


def since(project: m.Project, sheet: ResolvedSheet, edition: Edition, content: dict | None = None) -> ResolvedSheet:
    """The sheet with what changed since `edition` marked (NEW, UPDATED) and listed under "Changes since <its date>".

    The PDF counts from the previous edition; a message, from the edition its reader last received.
    """
    content = content or seen_by_readers(sheet)
    before = edition.content.get(sheet.language)
    unmarked = _unmarked(sheet)
    if before is None:  # the first edition in this language: nothing to compare with
        return unmarked
    found = compare(before, content)
    marks = _marks(found, before, content)
    lines = _change_lines(sheet, found, marks, before)
    if not lines:  # only the title or summary changed, which the reader sees as they are
        return unmarked
    heading = sheet.labels["changes_since"].format(date=_day(project, sheet, edition.date))
    return replace(_marked(sheet, marks), changes=RChanges(heading, lines))


def _day(project: m.Project, sheet: ResolvedSheet, date: dt.date) -> str:
    """A date in the style of the sheet's language."""
    dates = date_locale(typography_for(project, sheet.language), sheet.translator)
    return format_partial_date(m.PartialDate(date.year, date.month, date.day), dates)


def _unmarked(sheet: ResolvedSheet) -> ResolvedSheet:
    return _marked(sheet, {}) if sheet.changes else sheet


def _marked(sheet: ResolvedSheet, marks: dict) -> ResolvedSheet:
    """The sheet with each fact and claim marked as `marks` says (and unmarked where it says nothing), no Changes block."""
    mark = lambda record: replace(record, change=marks.get(record.id))  # noqa: E731
    return replace(
        sheet, changes=None,
        bottom_line=tuple(mark(fact) for fact in sheet.bottom_line),
        sections=tuple(replace(s, facts=tuple(mark(fact) for fact in s.facts)) for s in sheet.sections),
        figures=tuple(replace(f, claims=tuple(mark(c) for c in f.claims)) for f in sheet.figures),
        contrasts=tuple(replace(c, sides=tuple(replace(f, claims=tuple(mark(x) for x in f.claims)) for f in c.sides))
                        for c in sheet.contrasts))


def _marks(found: list[Change], before: dict, after: dict) -> dict:
    """'new' or 'updated' by fact and claim id; a new figure's claims are new, a relabelled one's updated."""
    marks = {}
    for change in found:
        if change.record in ("fact", "claim") and change.kind in ("new", "updated", "corrected"):
            marks[change.id] = "new" if change.kind == "new" else "updated"
        elif change.record == "figure" and change.kind in ("new", "updated"):
            for claim_id in after["figures"][change.id]["claims"]:
                marks.setdefault(claim_id, "new" if change.kind == "new" else "updated")
    return marks


def _change_lines(sheet: ResolvedSheet, found: list[Change], marks: dict, before: dict) -> tuple:
    """The Changes block in the reader's language: counts that point to the marks, and in full what no mark can show.

    A changed value keeps its old one beside it, and a removed statement is quoted,
    so nothing a reader was told disappears unsaid.
    """
    t, labels = sheet.translator, sheet.labels
    new = sum(1 for value in marks.values() if value == "new")
    updated = len(marks) - new
    lines = []
    if new:
        lines.append(t.ngettext("{n} new statement, marked {mark}.", "{n} new statements, marked {mark}.", new,
                                mark=labels["new"].upper()))
    if updated:
        lines.append(t.ngettext("{n} updated statement, marked {mark}.", "{n} updated statements, marked {mark}.",
                                updated, mark=labels["updated"].upper()))
    old_claims = {claim_id: (figure, claim) for figure in before["figures"].values()
                  for claim_id, claim in figure["claims"].items()}
    new_claims = {claim.id: (figure, claim) for figure in sheet.every_figure() for claim in figure.claims}
    for change in found:
        if change.record != "claim" or change.kind not in ("updated", "corrected"):
            continue
        figure, claim = new_claims[change.id]
        was = old_claims[change.id][1]["value"]
        if was != claim.value_text.replace("\u00a0", " ").replace("\u202f", " "):
            lines.append(t.gettext("{figure}, according to {who}: now {new}, was {old}.", figure=figure.label.text,
                                   who=claim.attribution, new=claim.value_text, old=was))
    withdrawn = sum(1 for c in found if c.kind == "withdrawn")
    if withdrawn:
        lines.append(t.ngettext("{n} statement withdrawn: see Corrections.", "{n} statements withdrawn: see Corrections.",
                                withdrawn))
    for change in found:
        if change.kind != "removed":
            continue
        if change.record == "fact":
            lines.append(t.gettext("Removed: {text}", text=before["facts"][change.id]["text"]))
        elif change.record == "claim" or change.record == "figure":
            gone = [change.id] if change.record == "claim" else list(before["figures"][change.id]["claims"])
            for claim_id in gone:
                figure, claim = old_claims[claim_id]
                who = labels["according_to"].format(who=claim["attribution"])
                lines.append(t.gettext("Removed: {text}", text=f"{figure['label']}: {claim['value']} ({who})"))
    # An edited entry is a new one where an old one was: count each date once.
    events = len({c.id for c in found if c.record == "event"})
    if events:
        lines.append(t.ngettext("{n} timeline entry added, changed or removed.",
                                "{n} timeline entries added, changed or removed.", events))
    sources = sum(1 for c in found if c.record == "source" and c.kind in ("new", "updated"))
    if sources:
        lines.append(t.ngettext("{n} source added or updated.", "{n} sources added or updated.", sources))
    return tuple(lines)


def editions(root: Path, sheet_id: str) -> list[Edition]:
    """Every recorded edition of a sheet, oldest first."""
    folder = root / EDITIONS / sheet_id
    found = [_read_edition(path) for path in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    return sorted(found, key=lambda edition: edition.number)


def _read_edition(path: Path) -> Edition:
    """One edition file, or an InputError naming the place that is damaged (a bad merge, an edit by hand)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _damaged(path, exc.lineno, exc.colno, f"this edition is not valid JSON ({exc.msg})") from None
    checks = {"sheet": (str, "the sheet's id"), "edition": (int, "a whole number"), "date": (str, "a date like 2025-06-30"),
              "languages": (dict, "the content by language")}
    for field, (kind, expected) in checks.items():
        value = data.get(field) if isinstance(data, dict) else None
        if not isinstance(value, kind) or isinstance(value, bool) or (field == "date" and not _is_date(value)):
            line, column = _place_of(text, field)
            raise _damaged(path, line, column, f"field '{field}' should be {expected}, not {printable(repr(value))[:60]}")
    return Edition(data["sheet"], data["edition"], dt.date.fromisoformat(data["date"]), data["languages"])


def _is_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _place_of(text: str, field: str) -> tuple[int, int]:
    """Line and column of a field's key in an edition file (1, 1 when it is missing)."""
    at = text.find(f'"{field}"')
    if at < 0:
        return 1, 1
    return text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)


def _damaged(path: Path, line: int, column: int, message: str) -> InputError:
    problem = Problem(Loc(path, line, column), Severity.ERROR, "bad-edition",
                      f"{message}: restore it from version control, or delete it and run 'factsheet publish' again")
    return InputError(f"{path.name} in {path.parent} cannot be read; nothing was changed.", [problem])


def publish(valid: ValidProject, sheets: list[str] | None, today: dt.date) -> list[tuple[str, Edition | None]]:
    """Record a new edition of each sheet whose reader-visible content changed since its last one.

    Returns (sheet id, the new edition, or None when nothing a reader sees changed).
    """
    project = valid.project
    result = []
    for sheet_id in _sheet_ids(project, sheets):
        content = current(valid, project.sheets[sheet_id])
        recorded = editions(project.root, sheet_id)
        if recorded and recorded[-1].content == content:
            result.append((sheet_id, None))
            continue
        if recorded and today < recorded[-1].date:
            raise EditionRequestError(f"edition {recorded[-1].number} of '{sheet_id}' is dated {recorded[-1].date}, "
                                      f"after {today}: give a date on or after it")
        edition = Edition(sheet_id, (recorded[-1].number if recorded else 0) + 1, today, content)
        path = project.root / EDITIONS / sheet_id / f"{edition.number:04d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, edition.to_json().encode())
        result.append((sheet_id, edition))
    return result


def find_edition(recorded: list[Edition], sheet_id: str, since: str | None) -> Edition | None:
    """The edition `since` names: a number, or the last edition dated on or before a date; default the latest."""
    if since is None:
        return recorded[-1] if recorded else None
    if since.isdigit():
        for edition in recorded:
            if edition.number == int(since):
                return edition
        raise EditionRequestError(f"sheet '{sheet_id}' has no edition {since}: it has "
                                  f"{', '.join(str(e.number) for e in recorded) or 'none yet'}")
    try:
        day = dt.date.fromisoformat(since)
    except ValueError:
        raise EditionRequestError(f"'{since}' is neither an edition number nor a date like 2025-06-30") from None
    earlier = [edition for edition in recorded if edition.date <= day]
    if not earlier:
        raise EditionRequestError(f"sheet '{sheet_id}' has no edition on or before {day}")
    return earlier[-1]


def compare(old: dict | None, new: dict) -> list[Change]:
    """Every change, record by record, from one language's `old` content to its `new` content."""
    old = old or {"title": None, "summary": None, "facts": {}, "figures": {}, "corrections": [], "timeline": [],
                  "sources": {}}
    changes = [Change("updated", "sheet", field, old[field], new[field])
               for field in ("title", "summary") if old[field] is not None and old[field] != new[field]]
    withdrawn = {c["record"] for c in new["corrections"] if c["kind"] == "withdrawn"}
    for fact_id in _union(old["facts"], new["facts"]):
        before, after = old["facts"].get(fact_id), new["facts"].get(fact_id)
        if before == after:
            continue
        if before is None:
            changes.append(Change("new", "fact", fact_id, None, after["text"], after["attribution"]))
        elif after is None:
            kind = "withdrawn" if f"fact '{fact_id}'" in withdrawn else "removed"
            changes.append(Change(kind, "fact", fact_id, before["text"], None))
        else:
            kind = "corrected" if after["corrected"] != before["corrected"] else "updated"
            changes.append(Change(kind, "fact", fact_id, _fact_line(before), _fact_line(after), after["attribution"]))
    for figure_id in _union(old["figures"], new["figures"]):
        changes += _figure_changes(figure_id, old["figures"].get(figure_id), new["figures"].get(figure_id), withdrawn)
    old_events, new_events = old["timeline"], new["timeline"]
    changes += [Change("new", "event", event["date"], None, event["text"]) for event in new_events if event not in old_events]
    changes += [Change("removed", "event", event["date"], event["text"], None)
                for event in old_events if event not in new_events]
    for source_id in _union(old["sources"], new["sources"]):
        before, after = old["sources"].get(source_id), new["sources"].get(source_id)
        if before != after:
            kind = "new" if before is None else "removed" if after is None else "updated"
            changes.append(Change(kind, "source", source_id, _source_line(before), _source_line(after)))
    return changes


def changes(valid: ValidProject, sheet_id: str, language: str, since: str | None = None,
            until: str | None = None) -> tuple[Edition | None, list[Change]]:
    """What changed in a sheet, for one language: from an edition to the current records, or to edition `until`."""
    project = valid.project
    if sheet_id not in project.sheets:
        raise EditionRequestError(f"there is no sheet '{sheet_id}'")
    recorded = editions(project.root, sheet_id)
    base = find_edition(recorded, sheet_id, since)
    target = find_edition(recorded, sheet_id, until).content if until else current(valid, project.sheets[sheet_id], [language])
    if language not in target:
        raise EditionRequestError(f"sheet '{sheet_id}' is not published in '{language}'")
    return base, compare(base.content.get(language) if base else None, target[language])


def _fact_line(fact: dict) -> str:
    return f"{fact['text']} [{fact['status']}]"


def _source_line(source: dict | None) -> str | None:
    if source is None:
        return None
    return f"{source['publisher']}, \u201c{source['title']}\u201d, {source['published']}" + (
        f", {source['url']}" if source["url"] else "")


def _figure_changes(figure_id: str, before: dict | None, after: dict | None, withdrawn: set) -> list[Change]:
    if before == after:
        return []
    if before is None or after is None:
        kind = "new" if before is None else "removed"
        label = (after or before)["label"]
        return [Change(kind, "figure", figure_id, None if before is None else label, label if after else None)]
    found = []
    if before["label"] != after["label"] or before["unit"] != after["unit"]:
        found.append(Change("updated", "figure", figure_id, f"{before['label']} ({before['unit']})",
                            f"{after['label']} ({after['unit']})"))
    for claim_id in _union(before["claims"], after["claims"]):
        old, new = before["claims"].get(claim_id), after["claims"].get(claim_id)
        if old == new:
            continue
        if old is None or new is None:
            kind = "new" if old is None else "withdrawn" if f"claim '{claim_id}'" in withdrawn else "removed"
            found.append(Change(kind, "claim", claim_id,
                                None if old is None else old["value"], None if new is None else new["value"],
                                (new or old)["attribution"]))
        else:
            kind = "corrected" if new["corrected"] != old["corrected"] else "updated"
            found.append(Change(kind, "claim", claim_id, f"{old['value']} [{old['status']}]",
                                f"{new['value']} [{new['status']}]", new["attribution"]))
    return found


def _union(old: dict, new: dict) -> list:
    """Keys of both, in the new order with removed ones after."""
    return [*new, *[key for key in old if key not in new]]


def _sheet_ids(project: m.Project, sheets: list[str] | None) -> list[str]:
    if not sheets:
        return sorted(project.sheets)
    unknown = [name for name in sheets if name not in project.sheets]
    if unknown:
        raise EditionRequestError(f"there is no sheet {', '.join(repr(n) for n in unknown)}: the sheets are "
                                  f"{', '.join(sorted(project.sheets))}")
    return list(dict.fromkeys(sheets))
