"""Content translations in gettext PO files, one per sheet and language, and one for the shared records.

`translations/<lang>/<sheet>.po` holds a sheet's texts and `translations/<lang>/shared.po`
the actors' names and the sources' notes. In each entry `msgctxt` names the record
and field (`fact:kc-toll:text`), `msgid` is the English and `msgstr` the translation,
as Sphinx and Django keep theirs, so Poedit, Weblate, Crowdin or Lokalise can open them.
Babel reads and writes the files; it does not read the previous English (`#| msgid`)
that it writes, so this module reads those lines itself.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from . import cache
from . import model as m
from .problems import Loc, Problems

FOLDER = "translations"
SHARED = "shared"
# A reviewer's mark, a translator comment every PO editor keeps: "reviewed-by: WHO[, DATE][, HASH]".
# The hash, of the translation as reviewed, is added by `translations update`; a changed translation voids it.
REVIEW = re.compile(r"^\s*reviewed-by:\s*(?P<who>.+?)\s*(?:,\s*(?P<when>\d{4}-\d{2}-\d{2}))?"
                    r"\s*(?:,\s*(?P<hash>[0-9a-f]{8}))?\s*$")


class Entry(NamedTuple):
    """One translatable text: its PO context, the record field it belongs to, and where it is.

    A named tuple, not a dataclass: a thousand sheets hold some sixty thousand texts, and it is made quickest.
    """

    context: str
    text: m.Text
    where: str  # "fact 'kc-toll' text", for messages and the extracted comment


@dataclass(frozen=True)
class Found:
    """One PO entry as read: the English it translates, the translation, and its state."""

    english: str
    translation: str
    fuzzy: bool
    previous: str | None
    review: re.Match | None
    line: int
    comments: tuple = ()  # every translator comment, kept by translations update

def sheet_entries(sheet: m.Sheet) -> list[Entry]:
    """Every translatable text of one sheet, in reading order."""
    entries = [Entry(f"sheet:{sheet.id}:title", sheet.title, f"sheet '{sheet.id}' title"),
               Entry(f"sheet:{sheet.id}:summary", sheet.summary, f"sheet '{sheet.id}' summary")]
    entries += [Entry(f"takeaway:{item.id}:text", item.text, f"takeaway '{item.id}' text") for item in sheet.bottom_line]
    for section in sheet.sections:
        entries.append(Entry(f"section:{section.id}:title", section.title, f"section '{section.id}' title"))
        for fact in section.facts:
            entries.append(Entry(f"fact:{fact.id}:text", fact.text, f"fact '{fact.id}' text"))
            entries += _correction_entries("fact", fact)
    for figure in sheet.figures:
        entries.append(Entry(f"figure:{figure.id}:label", figure.label, f"figure '{figure.id}' label"))
        entries.append(Entry(f"figure:{figure.id}:unit", figure.unit, f"figure '{figure.id}' unit"))
        for claim in figure.claims:
            if claim.note is not None:
                entries.append(Entry(f"claim:{claim.id}:note", claim.note, f"claim '{claim.id}' note"))
            entries += _correction_entries("claim", claim)
    for contrast in sheet.contrasts:
        entries.append(Entry(f"contrast:{contrast.id}:title", contrast.title, f"contrast '{contrast.id}' title"))
        entries.append(Entry(f"contrast:{contrast.id}:meaning", contrast.meaning, f"contrast '{contrast.id}' meaning"))
    entries += [Entry(f"event:{event.id}:text", event.text, f"event '{event.id}' text") for event in sheet.timeline]
    return [entry for entry in entries if entry.text is not None and entry.text.source]


def _correction_entries(kind: str, record) -> list[Entry]:
    """The notes of a record's corrections, and of its withdrawal."""
    entries = [Entry(f"{kind}:{record.id}:correction-{index}", item.note,
                     f"{kind} '{record.id}' correction {index} note") for index, item in enumerate(record.corrections, 1)]
    if record.withdrawn is not None:
        entries.append(Entry(f"{kind}:{record.id}:withdrawn", record.withdrawn.note, f"{kind} '{record.id}' withdrawal note"))
    return entries


def shared_entries(project: m.Project) -> list[Entry]:
    """Every translatable text of the actors and sources, in file order."""
    entries = []
    for actor in project.actors.values():
        if actor.id and actor.name is not None:
            entries.append(Entry(f"actor:{actor.id}:name", actor.name, f"actor '{actor.id}' name"))
            if actor.affiliation is not None:
                entries.append(Entry(f"actor:{actor.id}:affiliation", actor.affiliation, f"actor '{actor.id}' affiliation"))
            if actor.in_sentence is not None:
                entries.append(Entry(f"actor:{actor.id}:in_sentence", actor.in_sentence, f"actor '{actor.id}' in a sentence"))
    for source in project.sources.values():
        if source.id and source.note is not None:
            entries.append(Entry(f"source:{source.id}:note", source.note, f"source '{source.id}' note"))
    return [entry for entry in entries if entry.text.source]


def shown_texts(project: m.Project, sheet: m.Sheet) -> list[Entry]:
    """The texts a reader of one sheet sees: its own, and the names and notes of the actors and sources it cites.

    An actor with an in-sentence form is shown in that form only, so its name is not counted as shown.
    """
    from .project import records_used  # project imports this module to attach translations

    actors, sources = records_used(sheet)
    shown = []
    for entry in shared_entries(project):
        kind, ident, field_name = entry.context.split(":")
        if kind == "actor" and ident in actors:
            actor = project.actors[ident]
            if not (field_name == "name" and actor.in_sentence is not None):
                shown.append(entry)
        elif kind == "source" and ident in sources:
            shown.append(entry)
    return sheet_entries(sheet) + shown


def catalogs(project: m.Project) -> dict[str, list[Entry]]:
    """The PO files a project's texts belong in, by name: each sheet's id, and 'shared'."""
    found = {sheet.id: sheet_entries(sheet) for sheet in project.sheets.values() if sheet.id}
    found[SHARED] = shared_entries(project)
    return found


def po_path(root: Path, language: str, name: str) -> Path:
    """Where one catalog of one language lives."""
    return root / FOLDER / language / f"{name}.po"


def target_languages(project: m.Project) -> tuple:
    """The languages texts are translated into: every published language but the source."""
    settings = project.settings
    return tuple(lang for lang in settings.all_languages if lang != settings.source_language) if settings else ()


# --- reading -------------------------------------------------------------------------------------


def read_catalog(path: Path, problems: Problems) -> dict[str, Found] | None:
    """The entries of one PO file by context; None after recording why it cannot be read."""
    import babel
    from babel.messages.pofile import PoFileError, read_po

    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except OSError as exc:
        problems.error(Loc(path, 1, 1), "bad-translation-file", f"cannot read this file: {exc.strerror or exc}")
        return None
    except UnicodeDecodeError as exc:
        problems.error(Loc(path, data.count(b"\n", 0, exc.start) + 1, 1), "bad-translation-file",
                       f"byte 0x{data[exc.start]:02x} is not valid UTF-8: save the file as UTF-8")
        return None
    key = hashlib.sha256(f"{CATALOG_FORMAT}\0{babel.__version__}\0{text}".encode()).hexdigest()
    stored = cache.read("po", key)
    if isinstance(stored, dict):
        try:
            return {context: _found(*fields) for context, fields in stored.items()}
        except TypeError:
            pass  # written by another version: read the file afresh
    text, previous = _split_previous(text)
    try:
        catalog = read_po(io.StringIO(text), abort_invalid=True)
    except (PoFileError, ValueError, LookupError) as exc:
        problems.error(Loc(path, getattr(exc, "lineno", 0) + 1, 1), "bad-translation-file",
                       f"this file cannot be read as a PO file ({exc}): fix it, or open and save it in a PO editor")
        return None
    fields = {}
    for message in catalog:
        if not message.id or not message.context or isinstance(message.id, tuple):
            continue
        fields[message.context] = (message.id, message.string if isinstance(message.string, str) else "",
                                   message.fuzzy, previous.get(message.lineno), message.lineno or 1,
                                   tuple(comment for comment in message.user_comments if comment.strip()))
    # Babel reads a PO file slowly: a thousand sheets' catalogs took most of a `check`; the entries are kept by content.
    cache.write("po", key, fields)
    return {context: _found(*values) for context, values in fields.items()}


CATALOG_FORMAT = 1  # bump when the cached entries change shape


def _found(english: str, translation: str, fuzzy: bool, previous: str | None, line: int, comments: tuple) -> Found:
    """A Found from its plain fields, with its review note matched from the comments."""
    review = next((match for match in map(REVIEW.match, comments) if match), None)
    return Found(english, translation, bool(fuzzy), previous, review, line, tuple(comments))


def _split_previous(text: str) -> tuple[str, dict]:
    """Take out the `#| msgid` lines (Babel cannot read them), keeping line numbers; return the previous English by msgid line."""
    lines = text.split("\n")
    previous: dict = {}
    pending: list = []
    for index, line in enumerate(lines):
        if line.startswith("#|"):
            pending.append(line[2:].strip())
            lines[index] = "#"
        elif line.startswith("msgid "):
            if pending:
                previous[index + 1] = _previous_msgid(pending)
            pending = []
        elif line.strip() == "":
            pending = []
    return "\n".join(lines), previous


def _previous_msgid(parts: list) -> str | None:
    from babel.messages.pofile import unescape

    pieces, reading = [], False
    for part in parts:
        if part.startswith("msgid "):
            reading, part = True, part[len("msgid "):]
        elif part.startswith(("msgctxt ", "msgid_plural ")):
            reading = False
            continue
        if reading and part.startswith('"'):
            pieces.append(unescape(part))
    return "".join(pieces) if pieces else None


def attach_translations(project: m.Project, problems: Problems, skip: set = frozenset()) -> None:
    """Read every target language's PO files and give each text the translations they hold.

    The PO files in `skip` are those whose translations the records already carry (from the record cache).
    """
    if project.settings is None:
        return
    by_name: dict = {}  # made only for the catalogs read here: a sheet from the cache is not built for nothing
    for language in target_languages(project):
        folder = project.root / FOLDER / language
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.po")):
            if path in skip:
                continue
            name = path.name[: -len(".po")]
            if name not in by_name and (name == SHARED or name in project.sheets):
                by_name[name] = shared_entries(project) if name == SHARED else sheet_entries(project.sheets[name])
            if name not in by_name:
                if project.unreadable:
                    continue  # the sheet may be in a file that could not be read
                problems.warning(Loc(path, 1, 1), "unknown-translation-file",
                                 f"no sheet '{name}' for this file: delete it, or rename it after the sheet it translates")
                continue
            if not m.is_inside(path, (project.root.resolve(),)):
                problems.error(Loc(path, 1, 1), "outside-project",
                               f"this file is a link to {path.resolve()}, outside the project: copy the file in")
                continue
            _attach(path, by_name[name], language, problems)


def attach_sheet_translations(root: Path, sheet: m.Sheet, languages, problems: Problems) -> None:
    """Give one sheet's texts the translations its own PO files hold (those inside the project)."""
    for language in languages:
        path = po_path(root, language, sheet.id)
        if path.is_file() and m.is_inside(path, (root.resolve(),)):
            _attach(path, sheet_entries(sheet), language, problems)


def _attach(path: Path, entries: list, language: str, problems: Problems) -> None:
    found = read_catalog(path, problems)
    if found is None:
        return
    for entry in entries:
        item = found.get(entry.context)
        if item is not None and item.translation:
            entry.text.translations[language] = translation_of(entry.text, item, Loc(path, item.line, 1))


def translation_of(text: m.Text, item: Found, loc: Loc) -> m.Translation:
    """The record-side view of a PO entry: current only when it translates this English and is not fuzzy."""
    current = item.english == text.source and not item.fuzzy
    reviewed = bool(current and item.review and (item.review["hash"] in (None, m.text_hash(item.translation))))
    previous = item.previous if item.previous is not None else (item.english if item.english != text.source else None)
    return m.Translation(item.translation, loc, m.text_hash(item.english), reviewed, fuzzy=not current,
                         previous=previous, reviewer=item.review["who"] if reviewed else None)


# --- writing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Updated:
    """What `translations update` did to one file."""

    path: Path
    added: int
    fuzzy: int
    obsolete: int
    written: bool


def update_catalogs(project: m.Project, languages: tuple | None = None, *, carry: dict | None = None) -> list[Updated]:
    """Create or update every PO file from the English, as msgmerge does.

    New texts are added untranslated; an entry whose English changed keeps its
    translation, marked fuzzy, with the English it was made from as `#| msgid`;
    entries for texts that no longer exist become obsolete (`#~`). `carry`
    supplies translations for entries a file does not have yet (the migration
    from YAML uses it). The header a translator's tool wrote (Last-Translator,
    Language-Team, PO-Revision-Date, X-Generator...) is kept, and nothing in
    the file depends on the clock, so a file is rewritten only when its
    content changes.
    """
    from babel.messages.catalog import Catalog

    results = []
    for language in languages or target_languages(project):
        for name, entries in catalogs(project).items():
            path = po_path(project.root, language, name)
            problems = Problems()
            old = read_catalog(path, problems) if path.is_file() else {}
            if old is None:
                from .errors import InputError

                raise InputError(f"{path} cannot be read, so it was not updated: fix it first", problems.items)
            catalog = Catalog(locale=language.replace("-", "_"), fuzzy=False, charset="utf-8")
            added = fuzzy = 0
            for entry in entries:
                item = old.get(entry.context) or (carry or {}).get((language, entry.context))
                message = _merged(entry, item)
                added += item is None
                fuzzy += "fuzzy" in message["flags"]
                if message["previous_id"] is None:
                    del message["previous_id"]  # Babel before 2.15 cannot take None
                catalog.add(**message)
            gone = [context for context in old if context not in {e.context for e in entries}]
            for context in gone:
                item = old[context]
                catalog.obsolete[(item.english, context)] = _obsolete(catalog, item, context)
            data = _header(name, language, _kept_headers(path)) + _po_bytes(catalog)
            written = not path.is_file() or path.read_bytes() != data
            if written:
                from .builder import atomic_write

                path.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(path, data)
            results.append(Updated(path, added, fuzzy, len(gone), written))
    return results


def _merged(entry: Entry, item: Found | None) -> dict:
    """The new entry for a text, from what the file held for it."""
    message = {"id": entry.text.source, "string": "", "context": entry.context, "auto_comments": [entry.where],
               "flags": [], "user_comments": [], "previous_id": None}
    if item is None:
        return message
    comments = list(item.comments) or ([item.review.string.strip()] if item.review else [])
    message["string"] = item.translation
    if item.english != entry.text.source and item.translation:
        message["flags"] = ["fuzzy"]
        message["previous_id"] = item.previous or item.english  # the English the translation was made from
    elif item.fuzzy and item.translation:
        message["flags"] = ["fuzzy"]
        message["previous_id"] = item.previous
    elif item.review and item.review["hash"] is None and item.translation:
        # Pin a fresh review to the translation it approved, so a later change voids it.
        pinned = f"{item.review.string.strip()}, {m.text_hash(item.translation)}"
        comments = [pinned if comment.strip() == item.review.string.strip() else comment for comment in comments]
    message["user_comments"] = comments
    return message


def _obsolete(catalog, item: Found, context: str):
    from babel.messages.catalog import Message

    return Message(item.english, item.translation, context=context, flags=["fuzzy"] if item.fuzzy else [])


def _po_bytes(catalog) -> bytes:
    """The entries as PO text. Babel wraps a long previous msgid as if it were prose, breaking its quotes,
    so the `#| msgid` lines are written here, before each entry's msgctxt."""
    from babel.messages.pofile import normalize, write_po

    buffer = io.BytesIO()
    write_po(buffer, catalog, width=76, include_previous=False, omit_header=True)
    lines = buffer.getvalue().decode("utf-8").split("\n")
    for message in catalog:
        if not message.previous_id or not message.context:
            continue
        previous = normalize(message.previous_id[0], width=76).split("\n")
        at = lines.index(f"msgctxt {normalize(message.context, width=76).splitlines()[0]}")
        lines[at:at] = [f"#| msgid {previous[0]}", *(f"#| {line}" for line in previous[1:])]
    return "\n".join(lines).encode("utf-8")


OWN_HEADERS = ("Project-Id-Version", "Language", "MIME-Version", "Content-Type", "Content-Transfer-Encoding")


def _kept_headers(path: Path) -> list:
    """The header fields of an existing file that tools other than factsheet wrote (translator, team, dates, X-...).

    Read here rather than by Babel, which keeps only the fields it knows.
    """
    from babel.messages.pofile import unescape

    if not path.is_file():
        return []
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return []
    start = next((i for i, line in enumerate(lines) if line.strip() == 'msgid ""'), None)
    if start is None or start + 1 >= len(lines) or lines[start + 1].strip() != 'msgstr ""':
        return []
    text = ""
    for line in lines[start + 2:]:
        if not line.startswith('"'):
            break
        text += unescape(line.strip())
    fields = [tuple(part.strip() for part in line.split(":", 1)) for line in text.split("\n") if ":" in line]
    skipped = (*OWN_HEADERS, "Generated-By", "Plural-Forms", "POT-Creation-Date", "Report-Msgid-Bugs-To")
    return [(key, value) for key, value in fields
            if key not in skipped and value and not any(blank in value for blank in BABEL_BLANKS)]


BABEL_BLANKS = ("FULL NAME", "EMAIL@ADDRESS", "LL@li.org", "YEAR-MO-DA")  # Babel's placeholders, not a person's words


def _header(name: str, language: str, kept: list) -> bytes:
    """The header entry: what the file is, then the fields factsheet owns and those a translator's tool wrote."""
    from babel.messages.pofile import escape

    what = "the records shared by every sheet (actors, sources)" if name == SHARED else f"the sheet '{name}'"
    fields = [("Project-Id-Version", name), ("Language", language), ("MIME-Version", "1.0"),
              ("Content-Type", "text/plain; charset=UTF-8"), ("Content-Transfer-Encoding", "8bit"), *kept]
    lines = [f"# {language} translation of {what},",
             "# made and kept in step with the English by 'factsheet translations update'.",
             "# Translate each msgstr; msgctxt names the record and field, the comment above it the text.",
             "# A reviewer marks an entry with a translator comment: reviewed-by: NAME, YYYY-MM-DD",
             "# A check by a tool or an AI is noted as checked-by: NAME, YYYY-MM-DD (not review by a person).",
             'msgid ""', 'msgstr ""', *(escape(f"{key}: {value}\n") for key, value in fields), "", ""]
    return "\n".join(lines).encode("utf-8")
