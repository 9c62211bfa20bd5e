"""Strict, safe YAML loading into a tree that remembers where every value came from.

PyYAML's own loaders coerce values (`no` becomes False, `012` becomes 10),
silently keep the last of two duplicate keys and expand aliases. We read the
event stream instead and build our own tree of strings, lists and mappings,
so that the validator decides what each value means and can point at it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml

from . import cache
from .problems import Loc, Problems

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64

# PyYAML parses with libyaml when it was built with it, else in pure Python. Both must
# report the same problem at the same place; ENGINE picks one (tests run both).
ENGINES = {"python": yaml.SafeLoader, **({"libyaml": yaml.CSafeLoader} if hasattr(yaml, "CSafeLoader") else {})}
ENGINE = "libyaml" if "libyaml" in ENGINES else "python"
# Line and paragraph separators (and NEL) end a line for YAML but not for an editor's
# eye: a key after one looks like part of the value before it.
HIDDEN_BREAKS = {"\u2028": "line separator", "\u2029": "paragraph separator", "\u0085": "next-line character"}
_HIDDEN_BREAK = re.compile("[" + "".join(HIDDEN_BREAKS) + "]")
_resolver = yaml.resolver.Resolver()

# What YAML 1.1 would turn an unquoted value into, in words an editor knows.
IMPLICIT_TYPES = {
    "tag:yaml.org,2002:bool": "a true/false value",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:null": "an empty value",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:merge": "a merge key",
    "tag:yaml.org,2002:value": "a value key",
}


@dataclass(frozen=True, slots=True)
class Scalar:
    """A single value, always kept as the text the editor wrote."""

    value: str
    loc: Loc
    plain: bool
    implicit: str | None = None  # YAML's own reading of a plain value, when not text

    def describe(self) -> str:
        """Name what this value is, for messages."""
        return f"'{_clip(self.value)}'"


@dataclass(frozen=True, slots=True)
class Seq:
    """A YAML list."""

    items: list
    loc: Loc

    def describe(self) -> str:
        """Name what this value is, for messages."""
        return "a list"


@dataclass(frozen=True, slots=True)
class Map:
    """A YAML mapping; keys are plain strings, each with its own location."""

    items: dict
    loc: Loc
    key_locs: dict = field(default_factory=dict)

    def describe(self) -> str:
        """Name what this value is, for messages."""
        return "a mapping"

    def get(self, key: str):
        """Return the value node for `key`, or None."""
        return self.items.get(key)


Node = Scalar | Seq | Map


def _clip(text: str, width: int = 40) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _loc(path: Path, mark) -> Loc:
    return Loc(path, mark.line + 1, mark.column + 1)


def read_yaml(path: Path | Traversable, problems: Problems) -> Node | None:
    """Read one YAML file (a path, or a file shipped inside the package); return its tree, or None after recording why not."""
    try:
        size = path.stat().st_size if isinstance(path, Path) else None
        if size is not None and size > MAX_FILE_BYTES:
            problems.error(Loc(path, 1, 1), "file-too-large",
                           f"file is {size // 1024} KB; the limit is {MAX_FILE_BYTES // 1024 // 1024} MB: split it into several files")
            return None
        data = path.read_bytes()
    except OSError as exc:
        problems.error(Loc(path, 1, 1), "unreadable", f"cannot read file: {exc.strerror or exc}")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8", errors="replace")) + 1
        problems.error(Loc(path, line, column), "not-utf8",
                       f"byte 0x{data[exc.start]:02x} is not valid UTF-8: save the file as UTF-8")
        return None
    return cached_parse(text.removeprefix("\ufeff"), path, problems)


def cached_parse(text: str, path: Path, problems: Problems) -> Node | None:
    """parse_yaml, with the tree of a file that parsed cleanly kept in the cache, keyed by its text.

    A project of a thousand sheets spends most of a `check` parsing YAML that has
    not changed since the last run; rebuilding the tree from the cache takes a
    fraction of that. A file with problems is parsed every time, so its messages stay.
    """
    key = hashlib.sha256(f"{TREE_FORMAT}\0{ENGINE}\0{yaml.__version__}\0{text}".encode()).hexdigest()
    stored = cache.read("yaml", key)
    if stored is not None:
        try:
            return _from_plain(stored, path)
        except (TypeError, ValueError, IndexError, RecursionError):
            pass  # a cache written by another version: parse afresh
    before = len(problems.items)
    tree = parse_yaml(text, path, problems)
    if tree is not None and len(problems.items) == before:
        try:
            cache.write("yaml", key, _to_plain(tree))
        except RecursionError:
            pass
    return tree


TREE_FORMAT = 1  # bump when the tree's shape changes, so old cache entries miss


def _to_plain(node: Node):
    """A tree as nested tuples of plain values (what marshal stores): kind, fields, then children."""
    if isinstance(node, Scalar):
        return (0, node.value, node.loc.line, node.loc.column, node.plain, node.implicit)
    if isinstance(node, Seq):
        return (1, node.loc.line, node.loc.column, tuple(_to_plain(item) for item in node.items))
    return (2, node.loc.line, node.loc.column, tuple(
        (key, node.key_locs[key].line, node.key_locs[key].column, _to_plain(value)) for key, value in node.items.items()))


def _from_plain(plain, path: Path) -> Node:
    """The tree _to_plain stored, with every place in `path`."""
    kind = plain[0]
    if kind == 0:
        return Scalar(plain[1], Loc(path, plain[2], plain[3]), plain[4], plain[5])
    if kind == 1:
        return Seq([_from_plain(item, path) for item in plain[3]], Loc(path, plain[1], plain[2]))
    if kind == 2:
        return Map({key: _from_plain(value, path) for key, _, _, value in plain[3]}, Loc(path, plain[1], plain[2]),
                   {key: Loc(path, line, column) for key, line, column, _ in plain[3]})
    raise ValueError(f"unknown node kind {kind!r}")


MAX_SYNTAX_ERRORS = 10  # per file: past a few, the later ones are usually echoes of the first


def parse_yaml(text: str, path: Path, problems: Problems, engine: str | None = None) -> Node | None:
    """Parse YAML text into a tree; return None after recording why not.

    After a syntax error the record (list item) holding it is set aside and
    the rest of the file is parsed again, so its other problems are found
    too; the tree of what could be read is then returned, and the syntax
    errors stand (such a file is never built from).
    """
    if _hidden_break(text, path, problems):
        return None
    for _ in range(MAX_SYNTAX_ERRORS):
        builder = _TreeBuilder(path, problems)
        try:
            for event in yaml.parse(text, Loader=ENGINES[engine or ENGINE]):
                if not builder.feed(event):
                    return None
            break
        except yaml.MarkedYAMLError as exc:
            if "nesting depth" in str(exc.problem) and (engine or ENGINE) != "python":
                # libyaml stops at its own limit of 1000 levels, ahead of the events that would
                # show where ours (MAX_DEPTH) is passed: the pure-Python parser finds that place.
                return parse_yaml(text, path, problems, "python")
            loc, message = plain_syntax_error(exc, text)
            problems.error(Loc(path, *loc), "yaml-syntax", message)
            text = _set_aside(text, loc[0] - 1)
            if text is None:
                return None
        except yaml.YAMLError as exc:
            problems.error(Loc(path, 1, 1), "yaml-syntax", f"YAML syntax error: {exc}")
            return None
    else:
        return None
    if builder.anchor is not None:
        builder.fail(builder.anchor.start_mark, "yaml-anchor",
                     f"anchors (&{builder.anchor.anchor}) are not allowed: write each value out in full")
        return None
    if builder.result is None:
        problems.error(Loc(path, 1, 1), "empty-file", "file holds no data: add records or delete the file")
    return builder.result


def _set_aside(text: str, line: int) -> str | None:
    """The text with the list item holding `line` (0-based) turned into comments, keeping every line number.

    None when there is no such item (an error outside any record), or nothing would change.
    """
    lines = text.split("\n")
    if line >= len(lines):
        return None
    here = _indent(lines[line]) if lines[line].strip() else len(lines[line])
    start = line
    while start >= 0 and not (_ITEM.match(lines[start]) and (_indent(lines[start]) < here or start == line)):
        start -= 1
    if start < 0:
        return None
    level = _indent(lines[start])
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > level):
        end += 1
    aside = ["#" if lines[i].strip() else "" for i in range(start, end)]
    if not _has_sibling(lines, start, end, level):
        aside[0] = " " * (level + 1) + "[]"  # the list had only this item: leave it empty, not missing
    changed = lines[:start] + aside + lines[end:]
    return "\n".join(changed) if changed != lines else None


def _has_sibling(lines: list, start: int, end: int, level: int) -> bool:
    """True when another item of the same list stands before `start` or after `end`."""
    for step, index in ((-1, start - 1), (1, end)):
        while 0 <= index < len(lines):
            line = lines[index]
            if line.strip() and not line.lstrip().startswith("#"):
                if _indent(line) < level:
                    break  # out of the list
                if _indent(line) == level:
                    if _ITEM.match(line):
                        return True
                    break
            index += step
    return False


_ITEM = re.compile(r"^\s*- ")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _hidden_break(text: str, path: Path, problems: Problems) -> bool:
    """Refuse U+2028, U+2029 and U+0085, which YAML reads as line breaks that editors do not show."""
    found = _HIDDEN_BREAK.search(text)
    if found is None:
        return False
    index, char = found.start(), found.group()
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    problems.error(Loc(path, line, column), "hidden-line-break",
                   f"a {HIDDEN_BREAKS[char]} (U+{ord(char):04X}) is here: YAML reads it as a new line that most "
                   "editors do not show; delete it, or use a normal line break")
    return True


def plain_syntax_error(exc: yaml.MarkedYAMLError, text: str) -> tuple[tuple[int, int], str]:
    """The place and plain words for a parser error, the same whichever engine found it."""
    mark = exc.problem_mark or exc.context_mark
    where = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    context, problem = exc.context or "", exc.problem or ""
    opened = exc.context_mark
    char = _char_at(text, mark.line, mark.column) if mark else ""
    if char == "\t":
        return where, "YAML syntax error: a tab character cannot indent YAML: use spaces"
    if "quoted scalar" in context and opened is not None:
        quote = _char_at(text, opened.line, opened.column) or '"'
        return (opened.line + 1, opened.column + 1), (
            f"YAML syntax error: the quote {quote} that starts this value is never closed: add the closing {quote} "
            "at the end of the value")
    if "mapping values are not allowed" in problem:
        return where, ("YAML syntax error: unexpected ': ' in a value: if it is part of the text, put the whole value "
                       "in quotes (title: \"Kursk: the toll\"); if a new key starts here, put it on its own line, "
                       "lined up with the keys above")
    if "flow sequence" in context or "flow mapping" in context:
        bracket, closing = ("[", "]") if "sequence" in context else ("{", "}")
        return where, (f"YAML syntax error: the '{bracket}' at line {opened.line + 1}, column {opened.column + 1} is "
                       f"not closed: add '{closing}', or a ',' between items")
    if "block mapping" in context or "block collection" in context:
        above = _previous_line(text, mark.line)
        return where, (f"YAML syntax error: this line is indented differently from the line above (line {above}): "
                       "keys of one record, and the items of one list, must start in the same column")
    if "cannot start any token" in problem:
        return where, f"YAML syntax error: a value cannot start with {char!r}: put the value in quotes"
    return where, f"YAML syntax error: {problem or context}"


def _previous_line(text: str, line: int) -> int:
    """The 1-based number of the nearest line above `line` (0-based) that holds more than a comment."""
    lines = text.split("\n")
    for index in range(min(line, len(lines)) - 1, -1, -1):
        if lines[index].strip() and not lines[index].lstrip().startswith("#"):
            return index + 1
    return 1


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    return lines[line][column] if line < len(lines) and column < len(lines[line]) else ""


_DISCARD = Scalar("", Loc(Path("-")), True)  # stands for the key of a duplicate whose value is dropped


class _TreeBuilder:
    """Turns a YAML event stream into Scalar/Seq/Map nodes, refusing what we do not allow."""

    def __init__(self, path: Path, problems: Problems) -> None:
        self.path = path
        self.problems = problems
        self.stack: list = []  # open containers: [node, pending key or None]
        self.result: Node | None = None
        self.documents = 0
        self.anchor = None

    def fail(self, mark, code: str, message: str) -> bool:
        self.problems.error(_loc(self.path, mark), code, message)
        return False

    def feed(self, event) -> bool:
        """Consume one event; return False to stop after a recorded problem."""
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                return self.fail(event.start_mark, "multiple-documents",
                                 "a file holds one YAML document: remove the '---' separator or split the file")
            return True
        if isinstance(event, yaml.AliasEvent):
            return self.fail(event.start_mark, "yaml-alias",
                             f"aliases (*{event.anchor}) are not allowed: write the value out in full")
        if isinstance(event, (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            if event.anchor is not None and self.anchor is None:
                self.anchor = event  # reported at the end unless an alias, the real harm, is found first
            if event.tag is not None and event.tag != "!" and not _is_implicit(event):
                return self.fail(event.start_mark, "yaml-tag",
                                 f"tags such as '{event.tag}' are not allowed: remove the tag")
        if isinstance(event, yaml.ScalarEvent):
            return self.add(self.scalar(event), event.start_mark)
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            if len(self.stack) >= MAX_DEPTH:
                return self.fail(event.start_mark, "too-deep",
                                 f"data is nested more than {MAX_DEPTH} levels deep: flatten it")
            loc = _loc(self.path, event.start_mark)
            node = Seq([], loc) if isinstance(event, yaml.SequenceStartEvent) else Map({}, loc)
            if not self.add(node, event.start_mark):
                return False
            self.stack.append([node, None])
            return True
        if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            self.stack.pop()
        return True

    def scalar(self, event) -> Scalar:
        loc = _loc(self.path, event.start_mark)
        plain = event.style in (None, "")
        implicit = None
        if plain:
            tag = _resolver.resolve(yaml.ScalarNode, event.value, (True, False))
            if tag != "tag:yaml.org,2002:str":
                implicit = tag
        return Scalar(event.value, loc, plain, implicit)

    def add(self, node: Node, mark) -> bool:
        if not self.stack:
            self.result = node
            return True
        parent = self.stack[-1]
        container, key = parent
        if isinstance(container, Seq):
            container.items.append(node)
            return True
        if key is None:
            if not isinstance(node, Scalar):
                return self.fail(mark, "bad-key", "a key must be a plain word, not a list or mapping")
            if node.value in container.items:
                first = container.key_locs[node.value]
                self.fail(mark, "duplicate-key", f"duplicate key '{_clip(node.value)}' (first at line {first.line}): "
                                                 "YAML would silently keep only the last; remove one")
                node = _DISCARD  # keep the first value and read on, so one slip does not hide the whole file
            parent[1] = node
            return True
        if key is _DISCARD:
            parent[1] = None
            return True
        container.items[key.value] = node
        container.key_locs[key.value] = key.loc
        parent[1] = None
        return True


def _is_implicit(event) -> bool:
    """True when a node's tag came from YAML's own resolution, not from the editor."""
    implicit = getattr(event, "implicit", None)
    if isinstance(implicit, tuple):
        return implicit[0] or implicit[1]
    return bool(implicit)
