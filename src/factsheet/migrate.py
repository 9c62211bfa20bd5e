"""`translations migrate`: move translations kept in the YAML (the layout before PO files) into PO files.

Every translation is written to its PO file first; then each text in the YAML
is rewritten to its English alone, in place, keeping every comment and the
rest of the file as it was. The project is read again afterwards and must
hold the same English and the same translations, or every file is put back.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import model as m
from .errors import InputError
from .pofiles import REVIEW, Found, catalogs, update_catalogs
from .problems import Problems
from .yamlio import Map, Scalar, parse_yaml

WIDTH = 88  # the folded English wraps here, as the shipped files do


@dataclass(frozen=True)
class Migrated:
    """What a migration moved and rewrote."""

    translations: int
    po_files: list
    yaml_files: list


def migrate(project: m.Project) -> Migrated:
    """Move every translation from the project's YAML into PO files, and leave the YAML in English only."""
    from .project import load_project

    if not project.legacy:
        return Migrated(0, [], [])
    if project.settings is None:
        raise InputError("settings.yaml has errors: fix them (factsheet check), then migrate", project.problems)
    carry = _carried(project)
    before = _translations(project)
    edits = _rewrite_all(project.legacy)
    originals = {path: path.read_bytes() for path in edits}
    written = [u.path for u in update_catalogs(project, carry=carry) if u.written]
    from .builder import atomic_write

    for path, text in edits.items():
        atomic_write(path, text.encode("utf-8"))
    after = load_project(project.root)
    if after.legacy or _translations(after) != before:
        for path, data in originals.items():
            atomic_write(path, data)
        for path in written:
            path.unlink(missing_ok=True)
        lost = sorted(set(before.items()) ^ set(_translations(after).items()))[:3]
        raise InputError(f"the migration would not keep every text as it was ({lost}); nothing was changed: "
                         "please report this, and move the translations by hand meanwhile")
    return Migrated(len(carry), written, sorted(edits))


def _carried(project: m.Project) -> dict:
    """The YAML translations, as PO entries by (language, context)."""
    carry = {}
    for entries in catalogs(project).values():
        for entry in entries:
            for language, translation in entry.text.translations.items():
                current = translation.translates == m.text_hash(entry.text.source)
                review = REVIEW.match("reviewed-by: unrecorded (before PO files)") if translation.reviewed else None
                carry[(language, entry.context)] = Found(entry.text.source, translation.text, not current, None,
                                                          review if current else None, 1)
    return carry


def _translations(project: m.Project) -> dict:
    """(language, context) -> (English, translation, current) for every translated text: what must survive."""
    result = {}
    for entries in catalogs(project).values():
        for entry in entries:
            for language, translation in entry.text.translations.items():
                current = translation.translates == m.text_hash(entry.text.source) and not translation.fuzzy
                result[(language, entry.context)] = (entry.text.source, translation.text, current)
    return result


def _rewrite_all(legacy: list) -> dict[Path, str]:
    """Each file's new text, with every legacy text mapping replaced by its English."""
    by_file: dict = {}
    for node, text in legacy:
        by_file.setdefault(node.loc.path, []).append((node, text))
    result = {}
    for path, items in by_file.items():
        lines = path.read_text(encoding="utf-8").split("\n")
        for node, text in sorted(items, key=lambda item: item[0].loc.line, reverse=True):
            lines = _english_only(lines, node, text.source)
        result[path] = "\n".join(lines)
    return result


def _english_only(lines: list, node: Map, english: str) -> list:
    """Replace one block mapping of languages, and the key line above it, by `key: <english>`."""
    start, column = node.loc.line - 1, node.loc.column - 1
    key = start - 1
    while key >= 0 and (not lines[key].strip() or lines[key].lstrip().startswith("#")):
        key -= 1
    if key < 0 or key != start - 1 or not lines[key].rstrip().endswith(":") or _indent(lines[start]) != column:
        raise InputError(f"{node.loc.path}:{node.loc.line}: this text is not written as a block of languages under "
                         "its key: move its translations to the PO files by hand, then run the migration again")
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) >= column):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    first, *rest = yaml_scalar(english, column)
    return lines[:key] + [f"{lines[key].rstrip()} {first}", *rest] + lines[end:]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def yaml_scalar(value: str, indent: int) -> list[str]:
    """YAML for a text as the value of a key whose continuation lines are indented by `indent`: plain, folded or quoted."""
    if len(value) + indent <= WIDTH - 8 and _reads_back_plain(value):
        return [value]
    if value == " ".join(value.split()):  # folding joins lines with single spaces: exact for such text
        return [">-"] + [" " * indent + line for line in textwrap.wrap(value, WIDTH - indent, break_long_words=False,
                                                                         break_on_hyphens=False)]
    quoted = yaml.dump(value, default_style='"', width=WIDTH - indent, allow_unicode=True).rstrip("\n").split("\n")
    return [quoted[0]] + [" " * indent + line.strip() for line in quoted[1:]]


def _reads_back_plain(value: str) -> bool:
    problems = Problems()
    tree = parse_yaml(f"k: {value}\n", Path("-"), problems, "python")
    node = tree.get("k") if isinstance(tree, Map) else None
    return (not problems.items and isinstance(node, Scalar) and node.plain and node.implicit is None
            and node.value == value)

