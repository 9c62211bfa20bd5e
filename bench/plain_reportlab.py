"""The floor: a minimal hand-written ReportLab script that makes the same documents as `factsheet build --template briefing`.

It reads the same YAML, each text's translation from the PO files under
translations/ (else the English) and the interface labels from factsheet's own
gettext catalogs, and lays the briefing out with plain platypus in the
template's fonts, sizes and colours: title band; bottom-line panel (takeaways
with status badge, attribution and linked citation numbers, then the key
numbers); contrasts; status legend; each section's heading (an outline entry)
kept with its table of facts, "(continued)" where it runs onto the next page;
disputed figures as a table with a bar per claim on a log scale; timeline; the
numbered source list the citations link to; on every page a header, the
"English prevails" line on translations and a "Page N of M" footer. Body text
is hyphenated as factsheet's is. factsheet's overhead is measured against this.

Not done by the floor (bookkeeping and safety nets a one-off script would not
have): validation, caching, a manifest; translation-fallback daggers and the
unreviewed-translation notice; NEW/UPDATED marks and the "changes since"
block; corrections and withdrawals; font-fallback runs and glyph checks;
typographic quotes and the no-break spaces factsheet's typesetting adds; a
linear chart scale for close values; shortening header and footer lines that
do not fit; rebalancing a short last page; dropping blocks when too long.

    python bench/plain_reportlab.py PROJECT OUT_DIR [-j N] [--only SHEET]
"""

from __future__ import annotations

import argparse
import gettext
import json
import math
import multiprocessing
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import polib
import yaml
from reportlab import rl_config
from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFObjectReference
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, CondPageBreak, Flowable, Frame, KeepTogether, PageTemplate, Paragraph, Spacer, Table

rl_config.invariant = 1
rl_config.useA85 = 0  # binary streams, as factsheet writes them
FONT_DIR = Path(__import__("rendercv_fonts").__file__).parent / "Noto Sans"
LOCALE = Path(__file__).resolve().parents[1] / "src" / "factsheet" / "locale"
LEGEND = {"confirmed": "shown first-hand in the material cited", "reported": "a source reports it; the desk has not verified it",
          "claimed": "asserted by a party with a stake in it; unverified", "disputed": "credible sources contradict each other"}
ARROW, CAP = "Arrow: no upper limit given", "Bar ending in a cap: at most the value"
MARKS = {"exact": "Bar: the value given", "range": "Bar between two end marks: a range", "more_than": ARROW, "at_least": ARROW,
         "fewer_than": CAP, "at_most": CAP, "about": "Dot: about the value"}
EN = "January February March April May June July August September October November December".split()
MONTHS = {"ru": ("января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split(),  # in a date, alone
                 "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь".split()),
          "uk": ("січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня".split(),
                 "січень лютий березень квітень травень червень липень серпень вересень жовтень листопад грудень".split())}
DATES = {"en": ("{d} {g} {y}", "{m} {y}", "{y}"), "ko": ("{y}년 {n}월 {d}일", "{y}년 {n}월", "{y}년"),
         "ru": ("{d} {g} {y}\u00a0г.", "{m} {y}\u00a0г.", "{y}"), "uk": ("{d} {g} {y}\u00a0р.", "{m} {y}\u00a0р.", "{y}")}
FONTS: dict = {}
P: dict = {}  # the project, read once before the workers fork


class Catalog(dict):
    """factsheet's interface messages in one language (an untranslated one stays English), with its plural forms and rule."""

    def __missing__(self, key: str) -> str:
        return key


def interface(language: str) -> Catalog:
    """factsheet's gettext catalog for a language, read from its .po file (none for English)."""
    path, ui = LOCALE / language / "LC_MESSAGES" / "factsheet.po", Catalog()
    po = polib.pofile(str(path)) if path.exists() else []
    ui.update((e.msgid, e.msgstr) for e in po if e.translated() and e.msgstr)
    ui.forms = {e.msgid_plural: [e.msgstr_plural[i] for i in sorted(e.msgstr_plural)] for e in po if e.msgid_plural and e.translated()}
    ui.plural = gettext.c2py(po.metadata["Plural-Forms"].split("plural=")[1].strip().rstrip(";")) if po else lambda n: int(n != 1)
    return ui


def content(path: Path) -> dict:
    """msgctxt -> translation, from a content PO file (nothing when there is none)."""
    return {e.msgctxt: e.msgstr for e in polib.pofile(str(path)).translated_entries()} if path.exists() else {}


def fonts_for(language: str) -> tuple[str, str]:
    """Register (once per process) and return the regular and bold font names for a language."""
    family = "NotoSansKR" if language == "ko" else "NotoSans"
    if family not in FONTS:
        pdfmetrics.registerFont(TTFont(family, str(FONT_DIR / f"{family}-Regular.ttf")))
        pdfmetrics.registerFont(TTFont(family + "-Bold", str(FONT_DIR / f"{family}-Bold.ttf")))
        pdfmetrics.registerFontFamily(family, normal=family, bold=family + "-Bold", italic=family, boldItalic=family + "-Bold")
        FONTS[family] = True
    return family, family + "-Bold"


def load(root: Path) -> None:
    """Read the project: records, settings, template, catalogs, shared translations and latest editions."""
    read = lambda path: yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)  # noqa: E731
    P.update(root=root, actors={}, sources={}, sheets=[], editions={}, settings=read(root / "factsheets" / "settings.yaml"))
    for path in sorted((root / "factsheets").rglob("*.yaml")):
        data = read(path) or {}
        P["actors"].update((a["id"], a) for a in data.get("actors", []))
        P["sources"].update((s["id"], s) for s in data.get("sources", []))
        P["sheets"] += [data["sheet"]] if "sheet" in data else []
    template = read(root / "templates" / "briefing.yaml")
    P.update(hex=template["colours"], colours={k: colors.HexColor(v) for k, v in template["colours"].items()},
             sizes=template["sizes"], marking=template["marking"],
             margins={k: float(v.rstrip("m")) * mm for k, v in template["page"]["margins"].items()},
             hyphenation={k: v.get("hyphenation") for k, v in read(root / "templates" / "typography.yaml").items()})
    languages = {language for sheet in P["sheets"] for language in sheet.get("languages", ["en"])}
    P["ui"] = {language: interface(language) for language in languages}
    P["shared"] = {language: content(root / "translations" / language / "shared.po") for language in languages}
    for sheet in P["sheets"]:
        if recorded := sorted((root / "editions" / sheet["id"]).glob("*.json")):
            P["editions"][sheet["id"]] = (int(recorded[-1].stem), json.loads(recorded[-1].read_text())["date"])


def value_parts(value) -> tuple:
    """(kind, low, high) of a claim's value: a number, {min, max}, or one bound such as {more_than: N}."""
    if not isinstance(value, dict):
        return "exact", value, value
    if "min" in value:
        return "range", value["min"], value["max"]
    (kind, amount), = value.items()
    low, high = kind in ("more_than", "at_least", "about"), kind in ("fewer_than", "at_most", "about")
    return kind, amount if low else None, amount if high else None


def log_scale(parts: list, width: float = 150.0) -> tuple:
    """x(value) on one log scale for all of a figure's claims (a decade more for an open-ended one), and its ticks."""
    numbers = [float(n) for _, low, high in parts for n in (low, high) if n is not None and n > 0] or [1.0]
    low = math.floor(math.log10(min(numbers)))
    high = math.ceil(math.log10(max(numbers) * 1.2)) + any(kind in ("more_than", "at_least") for kind, _, _ in parts)
    return (lambda v: width * min(1.0, max(0.0, (math.log10(max(float(v), 10.0 ** low)) - low) / (high - low))),
            [10.0 ** e for e in range(low, high + 1)])


def pad(cells: tuple = ((0, 0), (-1, -1)), **sides: float) -> list:
    """Table padding commands for a range of cells: pad(left=10, top=3)."""
    return [(f"{side.upper()}PADDING", *cells, value) for side, value in sides.items()]


class Badge(Flowable):
    """A status badge: the status word in a small coloured rounded box, drawn directly."""

    def __init__(self, colour, text: str, width: float, font: str, size: float) -> None:
        super().__init__()
        self.colour, self.text, self.font, self.size, self.width, self.height = colour, text, font, size, width, size + 4.2

    def draw(self) -> None:
        """The box, then the word centred in it."""
        self.canv.setFillColor(self.colour)
        self.canv.roundRect(0, 0, self.width, self.height, 2, stroke=0, fill=1)
        self.canv.setFillColorRGB(1, 1, 1)
        self.canv.setFont(self.font, self.size)
        self.canv.drawCentredString(self.width / 2, 1.6 + self.size * 0.12, self.text)


class Headed(Table):
    """A table whose first row is its heading (repeatRows=1): never alone at a page's foot, "(continued)" atop a carried-over part."""

    outline = continued = None

    def split(self, available_width: float, available_height: float) -> list:
        """Table's split, the outline entry on the first part and the "(continued)" heading, in a new row, on the second."""
        parts = super().split(available_width, available_height)
        if len(parts) == 2:
            parts[0].outline, parts[1].continued = self.outline, self.continued
            parts[1]._cellvalues[0] = [self.continued] + parts[1]._cellvalues[0][1:]
        return parts


class Job:
    """One sheet in one language: its labels, styles and citation numbers, and helpers for the blocks."""

    def __init__(self, sheet: dict, language: str) -> None:
        self.sheet, self.lang, self.ui, self.c, self.hex, self.size = sheet, language, P["ui"][language], P["colours"], P["hex"], P["sizes"]
        self.po = {**P["shared"][language], **content(P["root"] / "translations" / language / f"{sheet['id']}.po")}
        self.regular, self.bold = fonts_for(language)
        self.width = A4[0] - P["margins"]["left"] - P["margins"]["right"]
        self.title = self.text("sheet", sheet, "title")
        self.as_of = self.ui["As of {date}"].format(date=self.date(sheet["as_of"]))
        organisation = P["settings"]["organisation"]
        self.organisation = organisation.get(language, organisation["en"]) if isinstance(organisation, dict) else organisation
        self.marking = P["marking"].get(language) or self.ui[P["marking"]["en"]]
        number, day = P["editions"].get(sheet["id"], (0, None))
        self.edition = (self.ui["Edition {number}, {date}"].format(number=number, date=self.date(day)) if day else
                        self.ui["Draft of edition {number}, not yet published"].format(number=number + 1))
        s, c, style = self.size, self.c, ParagraphStyle
        body = style("body", fontName=self.regular, fontSize=s["body"], leading=s["body"] * 1.32, textColor=c["ink"],
                     hyphenationLang=P["hyphenation"].get(language) or "", embeddedHyphenation=1, uriWasteReduce=0.3)
        small = style("small", body, fontSize=s["small"], leading=s["small"] * 1.3, textColor=c["muted"])
        label = style("label", small, fontName=self.bold, leading=s["small"] * 1.25, hyphenationLang="")
        bold = style("bold", body, fontName=self.bold, hyphenationLang="")
        self.styles = {"body": body, "small": small, "label": label, "strong": style("strong", body, fontName=self.bold),
                       "ink": style("ink", small, textColor=c["ink"]), "accent": style("accent", small, textColor=c["accent"]),
                       "date": style("date", label, textColor=c["accent"]), "subtitle": style("subtitle", small, textColor=c["band-text"]),
                       "number": style("number", label, textColor=c["accent"], fontSize=s["body"] * 1.15, leading=s["body"] * 1.4),
                       "lead": style("lead", body, fontSize=s["body"] * 1.1, leading=s["body"] * 1.1 * 1.32),
                       "heading": style("heading", bold, fontSize=s["heading"], leading=s["heading"] * 1.25, textColor=c["accent"],
                                        spaceBefore=s["body"] * 0.9, spaceAfter=s["body"] * 0.35),
                       "title": style("title", bold, fontSize=s["title"], leading=s["title"] * 1.18, textColor=c["band-text"]),
                       "figure": style("figure", bold, fontSize=s["figure"], leading=s["figure"] * 1.15, textColor=c["accent"])}
        self.badge_width = max(44.0, max(pdfmetrics.stringWidth(self.ui[x].upper(), self.bold, s["small"]) for x in LEGEND) + 8)
        # Citations are numbered as factsheet numbers them: takeaways, facts, contrasted figures, other figures, timeline.
        self.figures = {figure["id"]: figure for figure in sheet.get("figures", [])}
        self.contrasted = [i for contrast in sheet.get("contrasts", []) for i in contrast["figures"]]
        self.timeline = sorted(sheet.get("timeline", []), key=lambda event: str(event["date"]))
        self.numbers: dict = {}
        for record in (sheet.get("bottom_line", []) + [fact for section in sheet.get("sections", []) for fact in section["facts"]]
                       + [claim for i in self.contrasted for claim in self.figures[i]["claims"]] + [
                           claim for figure in self.figures.values() if figure["id"] not in self.contrasted for claim in figure["claims"]]
                       + self.timeline):
            for citation in record.get("citations", []):
                self.numbers.setdefault(citation if isinstance(citation, str) else citation["source"], len(self.numbers) + 1)

    def text(self, kind: str, record: dict, field: str = "text") -> str:
        """A record's text in this language: its translation from the PO files, else the English."""
        return self.po.get(f"{kind}:{record['id']}:{field}") or record[field]

    def t(self, kind: str, record: dict, field: str = "text") -> str:
        """A record's text in this language, escaped for markup."""
        return escape(self.text(kind, record, field))

    def date(self, value) -> str:
        """A date as this language writes it: a day, a month or a year, "on or after" one, or unknown."""
        if isinstance(value, dict):
            return self.ui["on or after {date}"].format(date=self.date(value["not_before"]))
        if value == "unknown":
            return self.ui["date unknown"]
        parts = [int(part) for part in str(value)[:10].split("-")]
        inside, alone = MONTHS.get(self.lang, (EN, EN))
        n = parts[1] if len(parts) > 1 else 1
        return DATES.get(self.lang, DATES["en"])[3 - len(parts)].format(y=parts[0], n=n, d=parts[-1], g=inside[n - 1], m=alone[n - 1])

    def number(self, value) -> str:
        """A number with this language's grouping."""
        return f"{value:,}".replace(",", "\u00a0").replace(".", ",") if self.lang in ("ru", "uk") else f"{value:,}"

    def value(self, claim: dict, figure: dict) -> str:
        """A claimed quantity with its unit, escaped: "more than 6,000 soldiers"."""
        (kind, low, high), unit = value_parts(claim["value"]), self.t("figure", figure, "unit")
        if kind == "range":
            return self.ui["{low}–{high} {unit}"].format(low=self.number(low), high=self.number(high), unit=unit)
        pattern = "{value} {unit}" if kind == "exact" else kind.replace("_", " ") + " {value} {unit}"
        return self.ui[pattern].format(value=self.number(low if low is not None else high), unit=unit)

    def actor(self, actor_id: str) -> str:
        """An actor as named in a sentence, escaped; a name of three words or fewer kept on one line."""
        actor = P["actors"][actor_id]
        if "in_sentence" in actor:
            return self.t("actor", actor, "in_sentence")
        name = self.t("actor", actor, "name")
        return name.replace(" ", "\u00a0") if len(name.split()) <= 3 else name

    def who(self, attribution) -> str:
        """Who says so, escaped: "X" or "X, as reported by Y"."""
        attribution = {"who": attribution} if isinstance(attribution, str) else attribution
        who = ", ".join(map(self.actor, [attribution["who"]] if isinstance(attribution["who"], str) else attribution["who"]))
        return self.ui["{who}, as reported by {via}"].format(who=who, via=self.actor(attribution["via"])) if attribution.get("via") else who

    def cites(self, record: dict) -> str:
        """A record's citation numbers in superscript, each a link to its entry in the source list."""
        numbers = sorted({self.numbers[c if isinstance(c, str) else c["source"]] for c in record.get("citations", [])})
        links = ",".join(f'<a href="#src-{n}" color="{self.hex["accent"]}">{n}</a>' for n in numbers)
        return f"<super>&nbsp;{links}</super>" if numbers else ""

    def according(self, record: dict, muted: bool = True) -> str:
        """'According to X' (muted, after a text) and the record's citation numbers."""
        who = self.ui["According to {who}"].format(who=self.who(record["attribution"]))
        return (f' <font color="{self.hex["muted"]}">{who}</font>' if muted else who) + self.cites(record)

    def para(self, markup: str, style: str = "body") -> Paragraph:
        """A paragraph of markup whose texts are already escaped."""
        return Paragraph(markup, self.styles[style])

    def badge(self, status: str) -> Badge:
        """The badge of a status."""
        return Badge(self.c[status], self.ui[status].upper(), self.badge_width, self.bold, self.size["small"])

    def table(self, rows: list, widths: list, style: list, cls=Table, **options) -> Table:
        """A table with no padding of its own and our font, so that ReportLab adds no Helvetica."""
        base = [("FONTNAME", (0, 0), (-1, -1), self.regular), ("FONTSIZE", (0, 0), (-1, -1), self.size["body"]),
                ("VALIGN", (0, 0), (-1, -1), "TOP")] + pad(left=0, right=0, top=0, bottom=0)
        return cls(rows, colWidths=widths, style=base + style, hAlign="LEFT", **options)

    def heading(self, text: str, key: str) -> Paragraph:
        """A heading that is also an outline entry."""
        heading = self.para(escape(text), "heading")
        heading.outline = (text, key)
        return heading

    def headed(self, text: str, key: str, rows: list, widths: list, style: list) -> Headed:
        """A heading (an outline entry) over a table's rows, which count from 1 in `style`."""
        table = self.table([[self.para(escape(text), "heading"), ""]] + rows, widths, style + [
            ("SPAN", (0, 0), (-1, 0)), ("TOPPADDING", (0, 0), (-1, 0), 0), ("BOTTOMPADDING", (0, 0), (-1, 0), self.size["body"] * 0.35)],
            cls=Headed, repeatRows=1, spaceBefore=self.size["body"] * 0.9)
        table.outline = (text, key)
        table.continued = self.para(escape(self.ui["{heading} (continued)"].format(heading=text)), "heading")
        return table

    def bar(self, kind: str, low, high, x, colour) -> Drawing:
        """One claim's mark on the shared scale, dots at its values, and its numbers written beside it."""
        d, muted, y, mid, opened = Drawing(150, 13), self.c["muted"], 3.0, 6.5, kind in ("more_than", "at_least")
        d.initialFontName = self.regular
        start, end = x(low) if low is not None else 0.0, x(high) if high is not None else 150.0
        d.add(Line(0, mid, 150, mid, strokeColor=muted, strokeWidth=0.25, strokeDashArray=[1, 2]))
        if kind == "about":
            d.add(Circle(start, mid, 3.5, fillColor=colour, strokeColor=None))
        elif kind in ("exact", "range"):
            left = start if kind == "range" else 0.0
            d.add(Rect(left, y, max(end - left, 2.5 if kind == "range" else 2), 7, fillColor=colour, strokeColor=None))
            for at in ((start, max(end, start + 2.5)) if kind == "range" else ()):
                d.add(Line(at, y - 1.5, at, y + 8.5, strokeColor=colour, strokeWidth=0.8))
        else:  # a bound: an arrow from the value off to the right, or a bar from the origin ending in a cap
            at = start if opened else end
            d.add(Rect(at, y, max(144 - at, 1), 7, fillColor=colour, strokeColor=None) if opened else
                  Rect(0, y, max(at, 2), 7, fillColor=colour, strokeColor=None, fillOpacity=0.55))
            d.add(Line(at, y - 1.5, at, y + 8.5, strokeColor=colour, strokeWidth=1.2))
            if opened:
                d.add(Polygon([143, y - 2, 150, mid, 143, y + 9], fillColor=colour, strokeColor=None))
        points = [x(n) for n in (low, high) if n is not None]
        for at in points:
            d.add(Circle(at, mid, 1.6, fillColor=muted, strokeColor=None))
        label = "–".join(dict.fromkeys(self.number(n) for n in (low, high) if n is not None))
        width, last = pdfmetrics.stringWidth(label, self.regular, 7.5), 150.0 if opened else max(points)  # never under the arrow
        at = last + 3 if last + 3 + width <= 150 else max(min(points) - 3 - width, 0.0)
        d.add(Rect(at - 1, mid - 3.75, width + 2, 7.5, fillColor=colors.white, strokeColor=None))
        d.add(String(at, mid - 2.625, label, fontName=self.regular, fontSize=7.5))
        return d

    def axis(self, x, ticks: list) -> Drawing:
        """The shared axis under the bars, its labels never overlapping."""
        size, muted = self.size["small"], self.c["muted"]
        d, top, taken = Drawing(150, size + 6), size + 5, -math.inf
        d.initialFontName = self.regular
        d.add(Line(0, top, 150, top, strokeColor=muted, strokeWidth=0.5))
        for tick in ticks:
            at, text = x(tick), self.number(int(tick) if tick >= 1 else tick)
            width = pdfmetrics.stringWidth(text, self.regular, size)
            d.add(Line(at, top, at, top - 3, strokeColor=muted, strokeWidth=0.5))
            start = 0.0 if at < 4 else 150 - width if at > 146 else at - width / 2
            if start > taken + 3:
                d.add(String(start, 0.5, text, fontName=self.regular, fontSize=size, fillColor=muted))
                taken = start + width
        return d


def front(j: Job) -> list:
    """Title band, bottom-line panel (takeaways, else the summary, then the key numbers), contrasts and status legend."""
    sheet, ui, c, width, bw = j.sheet, j.ui, j.c, j.width, j.badge_width
    title = "\u00a0".join(j.title.rsplit(" ", 1)) if len(j.title.split()) > 2 else j.title  # the last two words together
    out = [j.table([[j.para(escape(title), "title")], [j.para(f"{escape(j.as_of)} · {escape(j.organisation)}", "subtitle")]], [width],
                   [("BACKGROUND", (0, 0), (-1, -1), c["band"])] + pad(left=10, right=10)
                   + pad(((0, 0), (0, 0)), top=9) + pad(((0, -1), (-1, -1)), bottom=8) + pad(((0, 1), (-1, 1)), top=3)),
           Spacer(1, 7)]
    rows = [[j.para(escape(ui["Bottom line"].upper()), "label"), ""]]
    rows += [[j.badge(item["status"]), j.para(j.t("takeaway", item) + j.according(item), "lead")] for item in sheet.get("bottom_line", [])]
    rows += [] if len(rows) > 1 else [[j.para(j.t("sheet", sheet, "summary"), "lead"), ""]]
    numbers = [[j.para(j.value(claim, figure), "number"), j.badge(claim.get("status", "claimed")),
                j.para(f"{j.t('figure', figure, 'label')} · {j.according(claim, muted=False)}", "small")]
               for figure in j.figures.values() if figure.get("key") and figure["id"] not in j.contrasted for claim in figure["claims"]]
    if numbers:
        rows += [[j.para(escape(ui["Key numbers"].upper()), "label"), ""],
                 [j.table(numbers, [width * 0.26, bw + 6, None], [("VALIGN", (0, 0), (-1, -1), "MIDDLE")] + pad(bottom=3)), ""]]
    out += [j.table(rows, [bw + 16, width - bw - 16],
                    [("BACKGROUND", (0, 0), (-1, -1), c["box"]), ("LINEBEFORE", (0, 0), (0, -1), 2.5, c["accent"]),
                     ("LEFTPADDING", (0, 0), (0, -1), 9), ("RIGHTPADDING", (-1, 0), (-1, -1), 9), ("TOPPADDING", (0, 0), (-1, 0), 5),
                     ("BOTTOMPADDING", (0, -1), (-1, -1), 6), ("BOTTOMPADDING", (0, 1), (-1, -2), 4), ("TOPPADDING", (0, 1), (0, -1), 2)]
                    + [("SPAN", (0, i), (1, i)) for i, row in enumerate(rows) if row[1] == ""]), Spacer(1, 6)]
    for contrast in sheet.get("contrasts", []):  # two figures that count different things, side by side
        cells = []
        for figure in (j.figures[i] for i in contrast["figures"]):
            cell = [j.para(j.t("figure", figure, "label"), "label")]
            cell = [j.table([[cell[0], j.badge("disputed")]], [None, bw], [])] if figure.get("disputed") else cell
            for claim in figure["claims"]:
                cell += [j.table([[j.para(j.value(claim, figure), "figure"), j.badge(claim.get("status", "claimed"))]], [None, bw],
                                 [("VALIGN", (1, 0), (1, 0), "MIDDLE")]), j.para(j.according(claim, muted=False), "small")]
                cell += [j.para(j.t("claim", claim, "note"), "ink")] if claim.get("note") else []
            cells.append(cell)
        inner = j.table([[cells[0], "", cells[1]]], [(width - 26) / 2, 10, (width - 26) / 2],
                        [("LINEBEFORE", (2, 0), (2, 0), 0.5, c["rule"]), ("LEFTPADDING", (2, 0), (2, 0), 10)])
        box = j.table([[inner], [j.para(escape(ui["Two different quantities, not rival estimates"]), "small")],
                       [j.para(j.t("contrast", contrast, "meaning"), "lead")]], [width],
                      [("BOX", (0, 0), (-1, -1), 0.6, c["rule"]), ("BACKGROUND", (0, 2), (-1, 2), c["box"])]
                      + pad(left=8, right=8, top=5, bottom=4))
        out += [KeepTogether([j.heading(j.text("contrast", contrast, "title"), f"contrast-{contrast['id']}"), box]), Spacer(1, 6)]
    legend = [[j.badge(status), j.para(escape(ui[text]), "small")] for status, text in LEGEND.items()]
    half = (width - 2 * (bw + 6) - 12) / 2
    return out + [KeepTogether([j.para(escape(ui["How sure is each statement?"]), "label"), Spacer(1, 2),
                                j.table([legend[0] + [""] + legend[1], legend[2] + [""] + legend[3]], [bw + 6, half, 12, bw + 6, half],
                                        [("BOTTOMPADDING", (0, 0), (-1, -1), 3), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])]), Spacer(1, 6)]


def body(j: Job) -> list:
    """The sections' facts, the disputed figures with their chart, and the timeline."""
    ui, c, width, bw = j.ui, j.c, j.width, j.badge_width
    out = [j.headed(j.text("section", section, "title"), f"section-{section['id']}",
                    [[j.badge(fact["status"]), j.para(j.t("fact", fact) + j.according(fact))] for fact in section["facts"]],
                    [bw + 7, width - bw - 7], [("BOTTOMPADDING", (0, 1), (-1, -1), 4.5), ("TOPPADDING", (0, 1), (0, -1), 0.6)])
           for section in j.sheet.get("sections", [])]
    disputed = [f for f in j.figures.values() if f.get("disputed") and f["id"] not in j.contrasted]
    out += [CondPageBreak(120), j.heading(ui["Disputed figures"], "disputed-figures")] if disputed else []
    for figure in disputed:
        parts = [value_parts(claim["value"]) for claim in figure["claims"]]
        x, ticks = log_scale(parts)
        rows = [[j.para(escape(ui[label]), "label") for label in ("Claim", "According to", "Date")] + ["", ""]]
        for index, (claim, part) in enumerate(zip(figure["claims"], parts)):
            value = [j.para(f"<b>{j.value(claim, figure)}</b>")]
            value += [j.para(j.t("claim", claim, "note"), "small")] if claim.get("note") else []
            rows.append([value, j.para(j.who(claim["attribution"]) + j.cites(claim)), j.para(escape(j.date(claim["as_of"])), "small"), "",
                         j.bar(*part, x, (c["accent"], c["disputed"], c["claimed"], c["reported"])[index % 4])])
        caption = ". ".join([ui["Scale: {unit}"].format(unit=j.text("figure", figure, "unit")),
                             ui["Logarithmic scale: each step is ten times the one before"]]
                            + list(dict.fromkeys(ui[MARKS[kind]] for kind, _, _ in parts))
                            + [ui["Each claim has a colour of its own, on its own row"]]) + "."
        rows += [["", "", "", "", j.axis(x, ticks)], [j.para(escape(caption), "small"), "", "", "", ""]]
        table = j.table(rows, [width * 0.59 - 158, width * 0.28, width * 0.13, 8, 150],
                        [("LINEBELOW", (0, 0), (-1, 0), 0.6, c["rule"]), ("LINEBELOW", (0, 1), (-1, -1), 0.3, c["rule"]),
                         ("TOPPADDING", (0, 1), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (2, -1), 5),
                         ("SPAN", (0, -1), (-1, -1)), ("VALIGN", (4, 1), (4, -1), "MIDDLE")])
        out += [KeepTogether([j.para(j.t("figure", figure, "label"), "strong"), Spacer(1, 3), table]), Spacer(1, 6)]
    rows = [[j.para(escape(j.date(event["date"])), "date"), j.para(j.t("event", event) + j.cites(event))] for event in j.timeline]
    return out + ([j.headed(ui["Timeline"], "timeline", rows, [92, width - 92],
                            [("LINEBEFORE", (1, 1), (1, -1), 1.2, c["rule"]), ("LEFTPADDING", (1, 1), (1, -1), 7),
                             ("BOTTOMPADDING", (0, 1), (-1, -1), 3.5), ("TOPPADDING", (0, 1), (0, -1), 0.8)])] if rows else [])


def sources(j: Job) -> list:
    """The numbered source list, each entry the destination of its citation links."""
    forms = j.ui.forms.get("{n} sources cited", ["{n} source cited", "{n} sources cited"])
    rows = [[j.para(escape(forms[min(j.ui.plural(len(j.numbers)), len(forms) - 1)].format(n=len(j.numbers))), "small"), ""]]
    for source_id, number in j.numbers.items():
        source = P["sources"][source_id]
        publisher, published = source.get("publisher", "unknown"), j.date(source.get("published", "unknown"))
        translated = source.get("translated_title", {}).get(j.lang) if j.lang != source.get("language", "en") else None
        parts = [(f"<b>{escape(j.ui['Publisher unknown'] if publisher == 'unknown' else publisher)}</b>", publisher),
                 (escape(f"“{source['title']}”") + (f" ({escape(translated)})" if translated else ""), source["title"]),
                 (escape(published[:1].upper() + published[1:]), published)]
        if str(source.get("url")).lower().startswith(("http://", "https://", "mailto:")):
            parts.append((f'<a href={quoteattr(source["url"])} color="{j.hex["accent"]}">{escape(source["url"])}</a>', source["url"]))
        text = end = ""
        for markup, plain in parts:  # sentences, without doubling a full stop already there
            text += markup if not text else (" " if end.endswith(".") else ". ") + markup
            end = plain.strip()
        text += ("" if end.endswith(".") else ".") + (f' <font color="{j.hex["muted"]}">{j.t("source", source, "note")}</font>'
                                                       if source.get("note") else "")
        rows.append([j.para(f'<a name="src-{number}"/>{number}', "accent"), j.para(text, "ink")])
    return [j.headed(j.ui["Sources"], "sources", rows, [14, j.width - 14],
                     [("BOTTOMPADDING", (0, 1), (-1, -1), 2.5), ("SPAN", (0, 1), (1, 1))])]


def decorate(canvas: Canvas, j: Job, page: int, pages: int) -> None:
    """The header (from page 2), the "English prevails" line on a translation, and the two-line footer."""
    (width, height), size, margins = A4, j.size["small"], P["margins"]
    left, right, top, bottom = margins["left"], width - margins["right"], height - margins["top"], margins["bottom"]
    canvas.saveState()
    canvas.setFont(j.regular, size)
    canvas.setFillColor(j.c["muted"])
    canvas.setStrokeColor(j.c["rule"])
    canvas.setLineWidth(0.5)
    if page > 1:
        canvas.line(left, top + 4, right, top + 4)
        canvas.drawString(left, top + 8, j.title)
        canvas.drawRightString(right, top + 8, j.as_of)
    if j.lang != "en":
        prevails = j.ui["Translated from English. Where the two differ, the English text prevails."]
        canvas.drawCentredString(width / 2, top + 8 + size * 1.4, prevails)
    canvas.line(left, bottom - 4, right, bottom - 4)
    canvas.drawString(left, bottom - 13, j.organisation)
    canvas.drawRightString(right, bottom - 13, f"{j.edition}  ·  " + j.ui["Page {page} of {pages}"].format(page=page, pages=pages))
    canvas.drawCentredString(width / 2, bottom - 13 - size * 1.4, j.marking)
    canvas.restoreState()


def numbered_canvas(j: Job):
    """A canvas that holds the pages back until the end, so that every footer can say "Page N of M"."""

    class Numbered(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.pages = []

        def showPage(self):  # noqa: N802 (ReportLab's name)
            self.pages.append(dict(self.__dict__))
            self._startPage()

        def bookmarkPage(self, key, *args, **kwargs):  # noqa: N802 (ReportLab's name)
            # ReportLab's page counter stands still while pages are held back: point at the page being drawn.
            destination = super().bookmarkPage(key, *args, **kwargs)
            destination.setPage(PDFObjectReference(f"Page{len(self.pages) + 1}"))
            return destination

        def save(self):
            for number, state in enumerate(self.pages, 1):
                self.__dict__.update(state)
                decorate(self, j, number, len(self.pages))
                super().showPage()
            super().save()

    return Numbered


class Document(BaseDocTemplate):
    """Adds an outline entry for every heading as it is placed."""

    def afterFlowable(self, flowable) -> None:  # noqa: N802 (ReportLab's name)
        if getattr(flowable, "outline", None):
            self.canv.bookmarkPage(flowable.outline[1])
            self.canv.addOutlineEntry(*flowable.outline, level=0, closed=False)


def render(job: tuple) -> int:
    """Write one sheet in one language; return the file size."""
    index, language, out = job
    j = Job(P["sheets"][index], language)
    margins = P["margins"]
    frame = Frame(margins["left"], margins["bottom"], j.width, A4[1] - margins["top"] - margins["bottom"],
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=10)  # clear of the footer rule
    path = out / f"{j.sheet['id']}.{language}.pdf"
    doc = Document(str(path), pagesize=A4, pageTemplates=[PageTemplate("page", [frame])], invariant=1, lang=language,
                   title=j.title, author=j.organisation, subject=j.text("sheet", j.sheet, "summary"), creator="plain_reportlab",
                   keywords=[j.text("section", s, "title") for s in j.sheet.get("sections", [])], initialFontName=j.regular)
    doc.build(front(j) + body(j) + sources(j), canvasmaker=numbered_canvas(j))
    return path.stat().st_size


def jobs_for(root: Path, out: Path, only: str | None = None) -> list:
    """Read the project; the jobs (sheet index, language, output folder) for every sheet, or only the one named."""
    load(root)
    return [(index, language, out) for index, sheet in enumerate(P["sheets"]) if only in (None, sheet["id"])
            for language in sheet.get("languages", ["en"])]


def main() -> None:
    """Command line: render every sheet (or only one) in every language of a project."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("-j", type=int, default=1)
    parser.add_argument("--only", metavar="SHEET", help="only this sheet (as a rebuild after editing it would)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    jobs = jobs_for(args.project, args.out, args.only)
    if args.j > 1:
        with multiprocessing.get_context("fork").Pool(args.j) as pool:
            sizes = pool.map(render, jobs, chunksize=max(1, len(jobs) // (args.j * 8)))
    else:
        sizes = [render(job) for job in jobs]
    print(f"{len(sizes)} PDFs, {sum(sizes)} bytes")


if __name__ == "__main__":
    main()
