"""What every block builder needs: the template, fonts, styles and the resolved sheet."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph
from reportlab.platypus.paragraph import _FUZZ

from .. import hyphenation
from ..fonts import Fonts
from ..resolve import ResolvedSheet, RText
from ..templates import Template

# What Paragraph.wrap (through breakLines) leaves on the paragraph for split() and drawPara() to read.
_BROKEN_STATE = ("width", "_wrapWidths", "blPara", "height", "_width_max", "_splitLongWordCount", "_hyphenations", "frags")


class Para(Paragraph):
    """A Paragraph that breaks its lines once per width.

    ReportLab breaks a paragraph's lines anew on every wrap: a table cell is
    wrapped to measure its row and again to draw it, KeepTogether wraps its
    content before placing it, and a table split across pages wraps every row
    again. Line breaking is most of the cost of a page, and its result depends
    only on the text, the style and the width, so it is kept per width and put
    back on a later wrap, with everything split() and drawPara() read from it.
    """

    def wrap(self, availWidth, availHeight):  # noqa: N803 (ReportLab's names)
        """Lay the lines out for this width, or put back the lines laid out for it before."""
        kept = self.__dict__.setdefault("_kept", {})
        entry = kept.get(availWidth)
        # Valid while the paragraph holds the fragments it was broken from, or those breaking
        # left it (breakLines replaces them with its word list, which breaks the same way).
        if entry is not None and entry[0] is self.style and (self.frags is entry[1] or self.frags is entry[2]["frags"]):
            self.__dict__.update(entry[2])
            return self.width, self.height
        fragments = self.frags
        size = super().wrap(availWidth, availHeight)
        if availWidth >= _FUZZ:
            kept[availWidth] = (self.style, fragments, {name: self.__dict__[name] for name in _BROKEN_STATE
                                                         if name in self.__dict__})
        return size


@dataclass
class Context:
    """Shared state for laying out one sheet in one language with one template."""

    template: Template
    fonts: Fonts
    sheet: ResolvedSheet
    build_id: str
    styles: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.sheet.hyphenation:
            hyphenation.load(self.sheet.hyphenation)  # from the cache, unless a warm-up did it before the fork
        sizes, ink = self.template.sizes, self.colour("ink")
        body = self.fonts.role("body").font_name
        heading = self.fonts.role("heading").font_name
        figures = self.fonts.role("figures").font_name
        # Hyphenation (pyphen's dictionary for the language, where typography.yaml names one)
        # keeps ragged-right lines from going very ragged; titles and labels are never hyphenated.
        base = ParagraphStyle("body", fontName=body, fontSize=sizes["body"], leading=sizes["body"] * 1.32,
                              textColor=ink, alignment=TA_LEFT, hyphenationLang=self.sheet.hyphenation or "",
                              embeddedHyphenation=1, uriWasteReduce=0.3)
        self.styles = {
            "body": base,
            "small": ParagraphStyle("small", parent=base, fontSize=sizes["small"], leading=sizes["small"] * 1.3,
                                    textColor=self.colour("muted")),
            # The summary reads first and across the whole width: a size up keeps its lines short enough to read.
            "lead": ParagraphStyle("lead", parent=base, fontSize=sizes["body"] * 1.1, leading=sizes["body"] * 1.1 * 1.32),
            "heading": ParagraphStyle("heading", parent=base, fontName=heading, fontSize=sizes["heading"],
                                      leading=sizes["heading"] * 1.25, textColor=self.colour("accent"), hyphenationLang="",
                                      spaceBefore=sizes["body"] * 0.9, spaceAfter=sizes["body"] * 0.35),
            "title": ParagraphStyle("title", parent=base, fontName=heading, fontSize=sizes["title"],
                                    leading=sizes["title"] * 1.18, textColor=self.colour("band-text"), hyphenationLang=""),
            "figure": ParagraphStyle("figure", parent=base, fontName=figures, fontSize=sizes["figure"],
                                     leading=sizes["figure"] * 1.15, textColor=self.colour("accent"), hyphenationLang=""),
            "badge": ParagraphStyle("badge", parent=base, fontName=self.fonts.role("body", bold=True).font_name,
                                    fontSize=sizes["small"], leading=sizes["small"] * 1.15,
                                    textColor=colors.white, alignment=1),
            "label": ParagraphStyle("label", parent=base, fontName=heading, fontSize=sizes["small"],
                                    leading=sizes["small"] * 1.25, textColor=self.colour("muted"), hyphenationLang=""),
        }

    @property
    def marking(self) -> str:
        """The template's distribution marking in the sheet's language (template text, else catalog)."""
        marking = self.template.marking
        translation = marking.translations.get(self.sheet.language)
        if translation is not None:
            return translation.text
        return self.sheet.translator.gettext(marking.source)

    @functools.cached_property
    def badge_width(self) -> float:
        """Width of a status badge: wide enough for the longest status word of this language, on one line."""
        from ..fonts import string_width

        style = self.styles["badge"]
        role = self.fonts.role("body", bold=True)
        longest = max(string_width(role, self.sheet.labels[f"status_{s}"].upper(), style.fontSize)
                      for s in ("confirmed", "reported", "claimed", "disputed"))
        return max(44.0, longest + 8)

    def colour(self, name: str) -> colors.Color:
        """A template colour as a ReportLab colour."""
        return colors.HexColor(self.template.colours[name])

    def hex(self, name: str) -> str:
        """A template colour as #rrggbb, for markup attributes."""
        return self.template.colours[name]

    def m(self, text: str, role: str = "body", bold: bool | None = None) -> str:
        """Untrusted text made safe for Paragraph markup, with font fallback runs."""
        return self.fonts.role(role, bold).markup(text)

    def rtext(self, value: RText, role: str = "body") -> str:
        """Markup for a content text, marked with a dagger when it fell back to the source language."""
        marked = self.m(value.text, role)
        return f"{marked} †" if value.fallback else marked

    def title_text(self, value: RText) -> str:
        """A content text as plain text for a heading (which escapes it), daggered when it fell back."""
        return f"{value.text} †" if value.fallback else value.text

    def para(self, markup: str, style: str = "body", **overrides) -> Para:
        """A paragraph of already-escaped markup."""
        chosen = self.styles[style]
        if overrides:
            chosen = ParagraphStyle(f"{style}-x", parent=chosen, **overrides)
        return Para(markup, chosen)

    def cites(self, numbers: tuple) -> str:
        """Superscript citation numbers, each a link to its entry in the source list."""
        if not numbers:
            return ""
        links = ",".join(f'<a href="#src-{n}" color="{self.hex("accent")}">{n}</a>' for n in numbers)
        # A no-break space keeps the marker a token of its own when text is copied or read
        # aloud ("IANS 1", not "IANS1"), and keeps it on the line of the word it follows.
        return f"<super>&nbsp;{links}</super>"

    def label(self, key: str, **values) -> str:
        """An interface label, filled in and escaped."""
        pattern = self.sheet.labels[key]
        return pattern.format(**values) if values else pattern

    @property
    def width(self) -> float:
        """Width of the text frame in points."""
        margins = self.template.margins
        return self.template.page_size[0] - margins["left"] - margins["right"]
