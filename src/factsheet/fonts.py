"""Embedded TrueType fonts: registration, per-script choice and per-character fallback.

ReportLab draws every character in the one font it is told to use and shows a
box where that font has no glyph. So text is split into runs, each set in the
first family of the role's chain that has all of the run's characters, and
text that no family can draw is refused before anything is drawn.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from html import escape

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFNameBytes, TTFont, TTFontFace

from . import collector
from .templates import FontFamily, Template

# Characters ReportLab treats as breakable spaces although they must not break.
_NO_BREAK = str.maketrans({"\u202f": "\u00a0"})
# Characters that need no glyph: white space is drawn as space.
_INVISIBLE = set(" \t\n\r\u00a0\u200b\u2009\u202f\u00ad")


class MissingGlyph(Exception):
    """A character that no configured font can draw."""

    def __init__(self, char: str, where: str) -> None:
        super().__init__(f"no configured font has a glyph for {char!r} (U+{ord(char):04X}) in {where}")
        self.char = char
        self.where = where


@functools.lru_cache(maxsize=None)
def _load(name: str, path: str) -> TTFont:
    font = _cached_font(name, path)
    pdfmetrics.registerFont(font)
    return font


_NOT_CACHED = {"_ttf_data", "_pdfScale", "_pos"}


def _cached_font(name: str, path: str) -> TTFont:
    """A TTFont whose parsed tables come from the cache when possible.

    Parsing Noto Sans KR's tables takes tens of milliseconds per face, in
    every process; the parsed result is plain data, so it is cached, keyed
    like the build's font hashes by the file's path, size, time and inode
    (a font file changes only when a package is reinstalled).
    """
    import hashlib
    import os

    from reportlab import Version

    from . import cache

    data = open(path, "rb").read()
    info = os.stat(path)
    key = hashlib.sha256(f"{os.path.realpath(path)}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ino}\0{Version}"
                         .encode()).hexdigest()[:40]
    state = cache.cached("ttf2", key, lambda: _face_state(TTFontFace(path)),
                         valid=lambda value: isinstance(value, dict) and "charToGlyph" in value and "unitsPerEm" in value)
    try:
        with collector.paused():
            tables = _unpacked(state)
        return _font_from_state(name, path, data, tables)
    except (AttributeError, KeyError, TypeError, ValueError):
        return TTFont(name, path)  # a ReportLab whose internals differ, or a damaged entry: parse as usual


def _face_state(face: TTFontFace) -> dict:
    state = {k: (bytes(v) if isinstance(v, TTFNameBytes) else v) for k, v in face.__dict__.items() if k not in _NOT_CACHED}
    state["__name_bytes__"] = [k for k, v in face.__dict__.items() if isinstance(v, TTFNameBytes)]
    return _packed(state)


# The tables with one entry per glyph or character (tens of thousands for a CJK face) are stored as arrays
# of numbers: marshal reads a few byte strings at once where a dict of 23,000 entries took 20 ms.
def _packed(state: dict) -> dict:
    packed = dict(state)
    for key, value in state.items():
        if isinstance(value, dict) and value and all(type(k) is int and type(v) is int for k, v in value.items()):
            packed[key] = ("ints->int", _ints(value.keys()), _ints(value.values()))
        elif isinstance(value, list) and value and all(type(v) is int for v in value):
            packed[key] = ("[int]", _ints(value))
        elif isinstance(value, list) and value and all(type(v) is tuple and len(v) == 2 and type(v[0]) is int
                                                       and type(v[1]) is int for v in value):
            packed[key] = ("[(int, int)]", _ints(a for a, _ in value), _ints(b for _, b in value))
        elif isinstance(value, dict) and value and all(type(k) is int and type(v) is list
                                                       and all(type(i) is int for i in v) for k, v in value.items()):
            packed[key] = ("int->[int]", _ints(value.keys()), _ints(len(v) for v in value.values()),
                           _ints(i for v in value.values() for i in v))
    return packed


def _unpacked(state: dict) -> dict:
    from array import array
    from itertools import accumulate

    numbers = lambda data: array("q", data).tolist()  # noqa: E731
    unpacked = dict(state)
    for key, value in state.items():
        if not (isinstance(value, tuple) and value and value[0] in ("ints->int", "[int]", "[(int, int)]", "int->[int]")):
            continue
        if value[0] == "ints->int":
            unpacked[key] = dict(zip(numbers(value[1]), numbers(value[2])))
        elif value[0] == "[int]":
            unpacked[key] = numbers(value[1])
        elif value[0] == "[(int, int)]":
            unpacked[key] = list(zip(numbers(value[1]), numbers(value[2])))
        else:
            flat, lengths = numbers(value[3]), numbers(value[2])
            unpacked[key] = {glyph: flat[end - length:end]
                             for glyph, length, end in zip(numbers(value[1]), lengths, accumulate(lengths))}
    return unpacked


def _ints(values) -> bytes:
    from array import array

    return array("q", values).tobytes()


def _font_from_state(name: str, path: str, data: bytes, state: dict) -> TTFont:
    from weakref import WeakKeyDictionary

    from fnmatch import fnmatch

    from reportlab import rl_config
    from reportlab.pdfbase.ttfonts import TTEncoding, unShapedFontGlob

    face = TTFontFace.__new__(TTFontFace)
    face.__dict__.update({k: v for k, v in state.items() if k != "__name_bytes__"})
    for key in state["__name_bytes__"]:
        setattr(face, key, TTFNameBytes(state[key]))
    face._ttf_data = data
    face._pos = 0
    units = state["unitsPerEm"]
    face._pdfScale = (lambda x: x) if units == 1000 else (lambda x, k=1000 / units: x * k)
    font = TTFont.__new__(TTFont)
    font.fontName = name
    font.face = face
    font.encoding = TTEncoding()
    font.state = WeakKeyDictionary()
    font._asciiReadable = rl_config.ttfAsciiReadable
    font.shapable = not any(fnmatch(name, glob) for glob in unShapedFontGlob)  # as TTFont.__init__ sets it
    font.stringWidth("Aa", 10)  # fails fast if this ReportLab keeps different state
    return font


def register_family(family: FontFamily) -> None:
    """Register a family's Regular and Bold faces once, and map <b> to the bold face."""
    _load(family.name, str(family.regular))
    _load(f"{family.name}-bold", str(family.bold))
    addMapping(family.name, 0, 0, family.name)
    addMapping(family.name, 1, 0, f"{family.name}-bold")
    addMapping(family.name, 0, 1, family.name)
    addMapping(family.name, 1, 1, f"{family.name}-bold")


@functools.lru_cache(maxsize=None)
def _coverage(name: str, path: str) -> frozenset:
    """The characters a face has glyphs for, as a set of str for fast subset tests."""
    return frozenset(map(chr, _load(name, path).face.charToGlyph))


@dataclass(frozen=True)
class Role:
    """One font role (body, heading, figures) resolved for one script."""

    families: tuple  # FontFamily, in order of preference
    bold: bool

    @property
    def font_name(self) -> str:
        """ReportLab name of the role's primary face."""
        primary = self.families[0].name
        return f"{primary}-bold" if self.bold else primary

    def face(self, family: FontFamily) -> str:
        """ReportLab name of `family` in this role's weight."""
        return f"{family.name}-bold" if self.bold else family.name

    def family_for(self, char: str) -> FontFamily | None:
        """The first family that can draw `char`."""
        for family in self.families:
            if char in _coverage(family.name, str(family.regular)):
                return family
        return None

    def runs(self, text: str) -> list[tuple[FontFamily, str]]:
        """Split text into runs that one family can draw; invisible characters join the current run."""
        text = text.translate(_NO_BREAK)
        primary = self.families[0]
        if _coverage(primary.name, str(primary.regular)).issuperset(text):
            return [(primary, text)] if text else []  # the common case: one font has every character
        runs: list[tuple[FontFamily, str]] = []
        for char in text:
            family = runs[-1][0] if runs and char in _INVISIBLE else self.family_for(char)
            if family is None:
                family = self.families[0] if char in _INVISIBLE else None
            if family is None:
                raise MissingGlyph(char, "text")
            if runs and runs[-1][0] is family:
                runs[-1] = (family, runs[-1][1] + char)
            else:
                runs.append((family, char))
        return runs

    def markup(self, text: str) -> str:
        """Escape text for Paragraph markup, wrapping runs in other families in <font> tags."""
        parts = []
        for family, run in self.runs(text):
            escaped = escape(run, quote=False)
            parts.append(escaped if family is self.families[0] else f'<font name="{self.face(family)}">{escaped}</font>')
        return "".join(parts)

    def missing(self, text: str) -> str | None:
        """The first character no family of this role can draw, or None."""
        text = text.translate(_NO_BREAK)
        if any(_coverage(f.name, str(f.regular)).issuperset(text) for f in self.families):
            return None
        for char in text:
            if char not in _INVISIBLE and self.family_for(char) is None:
                return char
        return None


class Fonts:
    """The font roles of one template for one script, registered with ReportLab."""

    def __init__(self, template: Template, script: str) -> None:
        self.roles: dict[str, Role] = {}
        for role, (weight, _) in template.roles.items():
            families = tuple(template.families[name] for name in template.families_for(role, script))
            for family in families:
                register_family(family)
            self.roles[role] = Role(families, weight == "bold")

    def role(self, name: str, bold: bool | None = None) -> Role:
        """A role, optionally forced to regular or bold."""
        role = self.roles[name]
        return role if bold is None or bold == role.bold else Role(role.families, bold)

    def check_glyphs(self, texts) -> None:
        """Raise MissingGlyph for the first character in (text, where) pairs no body font can draw."""
        body = self.roles["body"]
        for text, where in texts:
            char = body.missing(text)
            if char is not None:
                raise MissingGlyph(char, where)


def string_width(role: Role, text: str, size: float) -> float:
    """Width in points of text drawn with run fallback."""
    return sum(pdfmetrics.stringWidth(run, role.face(family), size) for family, run in role.runs(text))
