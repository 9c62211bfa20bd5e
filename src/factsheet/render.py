"""Flowables to PDF bytes, deterministically, with ReportLab's risky features switched off."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, replace

from reportlab import rl_config
from reportlab.platypus import BaseDocTemplate, Frame, PageBreak, PageTemplate

from . import __version__
from .fonts import Fonts
from .languages import script_of
from .layout.blocks import Heading, HeadedTable, build_story
from .layout.context import Context
from .layout.page import numbered_canvas
from .resolve import ResolvedSheet
from .templates import Template


def harden_reportlab() -> None:
    """Switch off what could let text reach files, the network or eval."""
    rl_config.trustedHosts = []  # no host is trusted: markup cannot fetch local or remote resources
    rl_config.trustedSchemes = []
    rl_config.toColorCanUse = None  # colour strings are literals, never evaluated
    rl_config.invariant = 1
    rl_config.useA85 = 0  # binary streams: ASCII85 only makes PDFs a quarter bigger and slower to write


harden_reportlab()


@dataclass(frozen=True)
class Rendered:
    """A finished PDF and its page count."""

    data: bytes
    pages: int


class _Document(BaseDocTemplate):
    """Adds outline entries for headings as they are placed, and notes where each headed block starts and each page ends."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.block_starts: list[tuple[int, float]] = []  # (page, top edge) of each headed block, in story order
        self.page_ends: dict[int, float] = {}  # how far down each page's content reaches

    def afterFlowable(self, flowable) -> None:  # noqa: N802 (ReportLab's name)
        if not isinstance(flowable, (Heading, HeadedTable)):
            return
        # The outline opens the heading itself: its page, at its top edge.
        top = self.frame._y + flowable.height + flowable.getSpaceBefore()
        if isinstance(flowable, HeadedTable):
            flowable = flowable.head  # its heading, or a "(continued)" one, which is no outline entry
            if isinstance(flowable, Heading):
                self.block_starts.append((self.page, top - flowable.getSpaceBefore()))
        if isinstance(flowable, Heading):
            self.canv.bookmarkHorizontal(flowable.key, 0, top)
            self.canv.addOutlineEntry(flowable.outline, flowable.key, level=flowable.level, closed=False)

    def afterPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self.page_ends[self.page] = self.frame._y


FOOTER_BAND = 10.0  # points of clear space between the last line of text and the footer rule


def pdf_date(day: dt.date | dt.datetime) -> str:
    """A PDF date string for the document's creation and modification dates."""
    return day.strftime("D:%Y%m%d%H%M%S+00'00'")


# A last page less full than this holds a remnant: a few lines that a reader turns the page for.
REMNANT = 0.25
# How far the estimate of a rebalanced last page may fall short and still be worth laying out to see.
ESTIMATE_MARGIN = 0.02


@dataclass(frozen=True)
class _Pass:
    """One layout of a sheet: the PDF, how full its last page is (0 to 1), and where its headed blocks start."""

    rendered: Rendered
    fill: float
    block_starts: tuple  # (page, top edge) of each headed block
    page_ends: dict  # page -> how far down its content reaches
    height: float  # of the text frame

    def fill_after_break(self, block: int) -> float | None:
        """Estimated fill of the last page if `block` started a new page; None when that would not keep the page count.

        Only a block that starts on the page before the last can move there without a
        new page: it takes with it everything from its top to the end of that page.
        """
        pages = self.rendered.pages
        page, top = self.block_starts[block]
        if page != pages - 1:
            return None
        moved = top - self.page_ends[page]
        fill = self.fill + moved / self.height
        return fill if fill <= 1 else None


def render_sheet(sheet: ResolvedSheet, template: Template, build_id: str, timestamp: dt.datetime) -> Rendered:
    """Lay out and render one resolved sheet; the same inputs give the same bytes.

    When the last page would hold only a remnant, the sheet is rebalanced: a later
    section (or the timeline, or the sources) starts the last page instead, so that
    page carries a fair share; the first arrangement that does so is kept. When the
    sheet needs more pages than the template allows, the blocks the template marks
    drop_when_full are left out one by one, the last listed first, until it fits.
    """
    fonts = Fonts(template, script_of(sheet.language))
    fonts.check_glyphs(sheet.texts())
    first = _render(sheet, template, fonts, build_id, timestamp)
    droppable = [block for block in template.blocks if block.drop_when_full]
    while first.rendered.pages > template.max_pages and droppable:
        dropped = droppable.pop()
        template = replace(template, blocks=tuple(block for block in template.blocks if block is not dropped))
        first = _render(sheet, template, fonts, build_id, timestamp)
    if first.rendered.pages > 1 and first.fill < REMNANT:
        # Later blocks first; those the first layout says cannot help are tried last, not laid out in vain first.
        candidates = list(reversed(range(len(first.block_starts))))
        hopeful = [block for block in candidates if (first.fill_after_break(block) or 0) >= REMNANT - ESTIMATE_MARGIN]
        for block in hopeful + [block for block in candidates if block not in hopeful]:
            moved = _render(sheet, template, fonts, build_id, timestamp, break_before=block)
            if moved.rendered.pages == first.rendered.pages and moved.fill >= REMNANT:
                return moved.rendered
    return first.rendered


def _render(sheet: ResolvedSheet, template: Template, fonts: Fonts, build_id: str, timestamp: dt.datetime,
            break_before: int | None = None) -> _Pass:
    """Lay the sheet out once; with `break_before`, the headed block of that index starts a new page."""
    ctx = Context(template, fonts, sheet, build_id)
    buffer = io.BytesIO()
    margins = template.margins
    doc = _Document(
        buffer, pagesize=template.page_size, invariant=1, lang=sheet.language,
        title=sheet.title.text, author=sheet.organisation, subject=sheet.summary.text,
        keywords=list(sheet.keywords), creator=f"factsheet {__version__}",
        leftMargin=margins["left"], rightMargin=margins["right"], topMargin=margins["top"], bottomMargin=margins["bottom"],
        initialFontName=fonts.role("body").font_name,
    )
    height = template.page_size[1] - margins["top"] - margins["bottom"]
    # The frame stops short of the footer rule, so the last line of text never runs into it.
    frame = Frame(margins["left"], margins["bottom"], ctx.width, height,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=FOOTER_BAND, id="body")
    doc.addPageTemplates([PageTemplate("page", frames=[frame])])
    canvas_class = numbered_canvas(ctx)
    stamp = pdf_date(timestamp)

    def make_canvas(*args, **kwargs):
        canvas = canvas_class(*args, **kwargs)
        canvas.setDateFormatter(lambda *_: stamp)
        canvas.showOutline()
        return canvas

    story = build_story(ctx)
    headed = [index for index, flowable in enumerate(story) if isinstance(flowable, HeadedTable)]
    if break_before is not None:
        story.insert(headed[break_before], PageBreak())
    doc.build(story, canvasmaker=make_canvas)
    fill = (margins["bottom"] + height - doc.frame._y) / height
    return _Pass(Rendered(buffer.getvalue(), doc.page), fill, tuple(doc.block_starts), doc.page_ends, height)
