"""The floor: a minimal hand-written ReportLab script that makes the same documents as `factsheet build`.

It reads the same YAML (no validation, no translation bookkeeping, no
manifest, no caching, no font fallback), sets the same texts in the same
fonts, with a title band, summary, the figures' claims as a table and as
bars, facts with status badge, attribution and citation numbers, the
timeline, the source list, and a header and "page N of M" footer on every
page, and writes one PDF per sheet and language. factsheet's overhead is
measured against this.

    python bench/plain_reportlab.py PROJECT OUT_DIR [-j N]
"""

from __future__ import annotations

import argparse
import multiprocessing
from pathlib import Path
from xml.sax.saxutils import escape

import yaml
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

rl_config.invariant = 1
FONT_DIR = Path(__import__("rendercv_fonts").__file__).parent / "Noto Sans"
STATUS_COLOURS = {"confirmed": "#2e7d32", "reported": "#1f5fa8", "claimed": "#a35c00", "disputed": "#b3261e"}
FONTS = {}


def fonts_for(language: str) -> tuple[str, str]:
    """Register (once per process) and return the regular and bold font names for a language."""
    family = "NotoSansKR" if language == "ko" else "NotoSans"
    if family not in FONTS:
        pdfmetrics.registerFont(TTFont(family, str(FONT_DIR / f"{family}-Regular.ttf")))
        pdfmetrics.registerFont(TTFont(family + "-Bold", str(FONT_DIR / f"{family}-Bold.ttf")))
        FONTS[family] = True
    return family, family + "-Bold"


def pick(value, language: str) -> str:
    """The text in a language, else the English."""
    if isinstance(value, dict):
        chosen = value.get(language, value.get("en"))
        return chosen["text"] if isinstance(chosen, dict) else chosen
    return value


def load(root: Path) -> tuple[dict, dict, list]:
    """Actors, sources and sheets from the project's YAML."""
    actors, sources, sheets = {}, {}, []
    for path in sorted((root / "factsheets").rglob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        for actor in data.get("actors", []):
            actors[actor["id"]] = actor
        for source in data.get("sources", []):
            sources[source["id"]] = source
        if "sheet" in data:
            sheets.append(data["sheet"])
    return actors, sources, sheets


def numbered_canvas(title: str, font: str):
    """A canvas that writes a header and a "page N of M" footer on every page once the page count is known."""

    class Numbered(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.pages = []

        def showPage(self):  # noqa: N802 (ReportLab's name)
            self.pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            for number, state in enumerate(self.pages, 1):
                self.__dict__.update(state)
                self.setFont(font, 7)
                self.drawString(20 * mm, 287 * mm, title)
                self.drawRightString(190 * mm, 10 * mm, f"{number} / {len(self.pages)}")
                self.line(20 * mm, 285 * mm, 190 * mm, 285 * mm)
                super().showPage()
            super().save()

    return Numbered


def bars(claims: list) -> Drawing:
    """The claims of a figure as bars on one logarithmic scale."""
    import math

    drawing = Drawing(150, 14 * len(claims))
    for row, claim in enumerate(claims):
        value = claim["value"]
        low = value.get("min", value.get("more_than", 1)) if isinstance(value, dict) else value
        x = 150 * math.log10(max(float(low), 1)) / 5
        y = 14 * row + 3
        drawing.add(Rect(x, y, max(150 - x - 6, 2), 7, fillColor=colors.HexColor("#0b4f6c"), strokeColor=None))
        drawing.add(Polygon([144, y - 2, 150, y + 3.5, 144, y + 9], fillColor=colors.HexColor("#0b4f6c"), strokeColor=None))
        drawing.add(Line(0, y - 2, 150, y - 2, strokeWidth=0.3))
    return drawing


def render(job: tuple) -> int:
    """Write one sheet in one language; return the file size."""
    root, out, actors, sources, sheet, language = job
    regular, bold = fonts_for(language)
    body = ParagraphStyle("b", fontName=regular, fontSize=8.6, leading=11.4)
    small = ParagraphStyle("s", parent=body, fontSize=7, leading=9, textColor=colors.HexColor("#5d6b75"))
    head = ParagraphStyle("h", parent=body, fontName=bold, fontSize=11, leading=14, textColor=colors.HexColor("#0b4f6c"),
                          spaceBefore=8, spaceAfter=3)
    title = ParagraphStyle("t", parent=body, fontName=bold, fontSize=19, leading=22, textColor=colors.white)
    badge = ParagraphStyle("g", parent=body, fontName=bold, fontSize=6.6, leading=8, textColor=colors.white, alignment=1)
    p = lambda text, style=body: Paragraph(escape(text), style)  # noqa: E731
    who = lambda a: ", ".join(pick(actors[x]["name"], language) for x in ([a] if isinstance(a, str) else  # noqa: E731
                                                                           (a["who"] if isinstance(a["who"], list) else [a["who"]])))
    numbers: dict = {}
    cite = lambda cs: "".join(f"<super>{numbers.setdefault(c if isinstance(c, str) else c['source'], len(numbers) + 1)}</super>"  # noqa: E731
                              for c in cs)
    story = [Table([[p(pick(sheet["title"], language), title)], [p(str(sheet["as_of"]), small)]], colWidths=[170 * mm],
                   style=[("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#0b4f6c")), ("FONTNAME", (0, 0), (-1, -1), regular)]),
             Spacer(1, 6), p(pick(sheet["summary"], language))]
    for figure in sheet.get("figures", []):
        story.append(p(pick(figure["label"], language), head))
        rows = [[p(str(c["value"])), p(who(c["attribution"])), p(str(c["as_of"]), small)] for c in figure["claims"]]
        story.append(Table(rows, colWidths=[60 * mm, 80 * mm, 30 * mm], style=[("FONTNAME", (0, 0), (-1, -1), regular)]))
        if figure.get("disputed"):
            story.append(bars(figure["claims"]))
    for section in sheet["sections"]:
        story.append(p(pick(section["title"], language), head))
        rows = []
        for fact in section["facts"]:
            text = escape(pick(fact["text"], language)) + " " + escape(who(fact["attribution"])) + cite(fact["citations"])
            rows.append([Table([[p(fact["status"].upper(), badge)]], colWidths=[52],
                               style=[("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(STATUS_COLOURS[fact["status"]]))]),
                         Paragraph(text, body)])
        story.append(Table(rows, colWidths=[60, 170 * mm - 60], style=[("VALIGN", (0, 0), (-1, -1), "TOP"),
                                                                          ("FONTNAME", (0, 0), (-1, -1), regular)]))
    story.append(p("Timeline", head))
    for event in sheet.get("timeline", []):
        story.append(Table([[p(str(event["date"]), small), Paragraph(escape(pick(event["text"], language)) + cite(event["citations"]), body)]],
                           colWidths=[30 * mm, 140 * mm], style=[("FONTNAME", (0, 0), (-1, -1), regular)]))
    story.append(p("Sources", head))
    for source_id, number in numbers.items():
        source = sources[source_id]
        story.append(p(f"{number}. {source.get('publisher')}. {source['title']}. {source.get('published')}. {source.get('url', '')}", small))
    path = out / f"{sheet['id']}.{language}.pdf"
    SimpleDocTemplate(str(path), pagesize=A4, invariant=1, title=pick(sheet["title"], language), lang=language,
                      initialFontName=regular).build(story, canvasmaker=numbered_canvas(pick(sheet["title"], language), regular))
    return path.stat().st_size


def main() -> None:
    """Command line: render every sheet in every language of a project."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("-j", type=int, default=1)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    actors, sources, sheets = load(args.project)
    jobs = [(args.project, args.out, actors, sources, sheet, language)
            for sheet in sheets for language in sheet.get("languages", ["en"])]
    if args.j > 1:
        with multiprocessing.get_context("fork").Pool(args.j) as pool:
            sizes = pool.map(render, jobs, chunksize=max(1, len(jobs) // (args.j * 8)))
    else:
        sizes = [render(job) for job in jobs]
    print(f"{len(sizes)} PDFs, {sum(sizes)} bytes")


if __name__ == "__main__":
    main()
