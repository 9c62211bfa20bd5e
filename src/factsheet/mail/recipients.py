"""Recipients: who gets which briefings in which languages, validated like fact records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import model as m
from ..problems import Loc, Problem, Problems, sort_problems
from ..templates import find_template_file
from ..validate import Field, FieldError, Reader, languages, slug
from ..yamlio import Map, Node, Scalar, Seq, read_yaml
from .config import address_field, header_field

@dataclass(frozen=True)
class Recipient:
    """One reader: where to send, in which languages, which sheets."""

    name: str
    address: str
    languages: tuple
    sheets: tuple | None  # None: every sheet
    loc: Loc
    template: str | None = None


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


def load_recipients(path: Path, project: m.Project) -> tuple[list[Recipient], list[Problem]]:
    """Read and validate a recipients file against the project; return recipients and every problem."""
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
        for code in values["languages"] or ():
            if code not in known_languages:
                problems.error(item.get("languages").loc, "unknown-language",
                               f"{owner}: language '{code}' is not published by the project ({', '.join(known_languages)})")
        for sheet in values["sheets"] or ():
            if sheet not in project.sheets:
                problems.error(item.get("sheets").loc, "unknown-sheet",
                               f"{owner}: no sheet '{sheet}' (sheets: {', '.join(project.sheets)})")
        template = values["template"]
        if template and find_template_file(project.root / "templates", f"{template}.yaml") is None:
            problems.error(item.get("template").loc, "unknown-template", f"{owner}: no template '{template}' in templates/")
        if all(values[k] for k in ("name", "address", "languages")):
            result.append(Recipient(values["name"], address, values["languages"], values["sheets"], values["_loc"], template))
    return result
