"""Recipients: who gets which briefings in which languages, validated like fact records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import model as m
from ..problems import Loc, Problem, Problems, sort_problems
from ..templates import find_template_file
from ..validate import Field, FieldError, Reader, languages, slug
from ..yamlio import Map, Node, Scalar, Seq, read_yaml
from ..errors import printable
from .config import address_field, header_field
from .headers import BadAddress, UnsafeHeader, check_address

@dataclass(frozen=True)
class Recipient:
    """One reader: where to send, in which languages, which sheets."""

    name: str
    address: str
    languages: tuple
    sheets: tuple | None  # None: every sheet
    loc: Loc
    template: str | None = None
    asked: str = ""  # their first language as written, when it is not one the project publishes ("ja", "en-GB")


def _sheets(r: Reader, node: Node) -> tuple | None:
    if isinstance(node, Scalar) and node.value == "all":
        return None
    if not isinstance(node, Seq) or not node.items:
        raise FieldError("expected 'all' or a list of sheet ids like [kursk-casualties]", "wrong-type")
    return tuple(slug(r, item) for item in node.items)


RECIPIENT_FIELDS = {
    "name": Field(header_field("the name"), required=True),
    "address": Field(address_field, required=True, hint="a complete address like name@example.org"),
    "languages": Field(languages, required=True, hint="preferred languages in order, like [ko, en]"),
    "sheets": Field(_sheets, default=None),
    "template": Field(slug),
}


def load_suppression(project: m.Project) -> tuple[set, list[Problem]]:
    """The addresses never to send to (mail.suppression: one per line, # comments), lower-cased; and their problems."""
    problems = Problems()
    mail = project.settings.mail if project.settings else None
    if mail is None or not mail.suppression:
        return set(), []
    path = project.root / mail.suppression
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return set(), []  # nobody has unsubscribed yet
    except (OSError, UnicodeDecodeError) as exc:
        problems.error(Loc(path, 1, 1), "unreadable", f"cannot read the suppression file: {printable(str(exc))}")
        return set(), problems.items
    found = set()
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            found.add(check_address(text).lower())
        except (UnsafeHeader, BadAddress):
            problems.error(Loc(path, number, line.index(text[0]) + 1), "bad-address",
                           f"suppression file: {printable(repr(text))} is not one complete address: write one address "
                           "per line, like name@example.org (a # starts a comment)")
    return found, problems.items


def load_recipients(path: Path, project: m.Project) -> tuple[list[Recipient], list[Problem]]:
    """Read and validate a recipients file against the project; return recipients and every problem.

    A reader on the suppression list is a warning: they are listed but will not be sent to.
    """
    problems = Problems()
    tree = read_yaml(path, problems)
    recipients: list[Recipient] = []
    if tree is not None:
        if not isinstance(tree, Map) or not isinstance(tree.get("recipients"), Seq):
            problems.error(tree.loc, "wrong-type", "expected a mapping with the key 'recipients' holding a list of recipients")
        else:
            for key in tree.items:
                if key != "recipients":
                    problems.error(tree.key_locs[key], "unknown-key", f"unknown top-level key '{key}'; a recipients file holds 'recipients'")
            recipients = _read_all(tree.get("recipients"), project, problems)
    suppressed, bad = load_suppression(project)
    problems.items.extend(bad)
    for recipient in recipients:
        if recipient.address.lower() in suppressed:
            problems.warning(recipient.loc, "suppressed", f"{recipient.address} is on the suppression list "
                                                          f"({project.settings.mail.suppression}): never sent to")
    return recipients, sort_problems(problems.items)


def _read_all(node: Seq, project: m.Project, problems: Problems) -> list[Recipient]:
    reader = Reader(problems, project.settings.source_language if project.settings else "en")
    known_languages = project.settings.all_languages if project.settings else ()
    seen: dict[str, Loc] = {}
    result = []
    for index, item in enumerate(node.items, 1):
        values = reader.record(item, RECIPIENT_FIELDS, f"recipient {index}")
        if not values:
            continue
        owner = f"recipient {index}"
        address = values["address"]
        if address:
            key = address.lower()
            if key in seen:
                problems.error(item.get("address").loc, "duplicate-recipient",
                               f"{owner}: address '{address}' is already listed at line {seen[key].line}: "
                               "each reader appears once; merge the two entries")
                continue
            seen[key] = item.get("address").loc
        listed = item.get("languages")
        if isinstance(listed, Seq) and not listed.items:
            problems.error(listed.loc, "no-language",
                           f"{owner}: lists no language, so would get nothing: give at least one, like [en]")
        published = []
        for code in values["languages"] or ():
            # A regional tag reads the language it belongs to: en-GB gets English, pt-BR Portuguese.
            match = code if code in known_languages else next(
                (known for known in known_languages if known == code.split("-")[0]), None)
            if match is None:
                problems.warning(item.get("languages").loc, "unpublished-language",
                                 f"{owner}: language '{code}' is not published by the project "
                                 f"({', '.join(known_languages)}): they get the next of their languages that is, "
                                 "or the original, with a line saying so")
            elif match not in published:
                published.append(match)
        for sheet in values["sheets"] or ():
            if sheet not in project.sheets:
                problems.error(item.get("sheets").loc, "unknown-sheet",
                               f"{owner}: no sheet '{sheet}' (sheets: {', '.join(project.sheets)})")
        template = values["template"]
        if template and find_template_file(project.root / "templates", f"{template}.yaml") is None:
            problems.error(item.get("template").loc, "unknown-template", f"{owner}: no template '{template}' in templates/")
        if all(values[k] for k in ("name", "address", "languages")):
            first = values["languages"][0]
            source = project.settings.source_language if project.settings else "en"
            result.append(Recipient(values["name"], address, tuple(published) or (source,), values["sheets"],
                                    values["_loc"], template, "" if first.split("-")[0] in published else first))
    return result
