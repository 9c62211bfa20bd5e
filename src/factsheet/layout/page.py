"""Page decorations: header and footer on every page, with "page N of M"."""

from __future__ import annotations

from reportlab.pdfbase.pdfdoc import PDFObjectReference
from reportlab.pdfgen.canvas import Canvas

from ..fonts import Role, string_width
from .context import Context

LEFT = ("organisation", "title")
RIGHT = ("page", "edition", "build", "as_of")


def _item_text(ctx: Context, item: str, page: int, pages: int) -> str:
    sheet = ctx.sheet
    values = {
        "title": sheet.title.text,
        "as_of": ctx.label("as_of", date=sheet.as_of),
        "organisation": sheet.organisation,
        "marking": ctx.marking,
        "page": ctx.label("page", page=page, pages=pages),
        "build": ctx.label("build", id=ctx.build_id),
        "edition": sheet.edition,
    }
    return values[item]


def _slots(ctx: Context, items: tuple, page: int, pages: int) -> tuple[str, str, str]:
    left = [i for i in items if i in LEFT]
    right = [i for i in items if i in RIGHT]
    centre = [i for i in items if i not in LEFT and i not in RIGHT]
    # An item with nothing to say (no edition line outside a build) leaves no empty slot between dots.
    join = lambda names: "  ·  ".join(filter(None, (_item_text(ctx, n, page, pages) for n in names)))  # noqa: E731
    return join(left), join(centre), join(right)


def draw_runs(canvas: Canvas, role: Role, x: float, y: float, text: str, size: float, align: str) -> None:
    """Draw a line of text with font fallback, aligned left, centre or right of x."""
    width = string_width(role, text, size)
    x = x - width if align == "right" else x - width / 2 if align == "centre" else x
    for family, run in role.runs(text):
        face = role.face(family)
        canvas.setFont(face, size)
        canvas.drawString(x, y, run)
        x += canvas.stringWidth(run, face, size)


def decorate(canvas: Canvas, ctx: Context, page: int, pages: int) -> None:
    """Draw the header (from page 2: page 1 opens with the title band) and the two-line footer of one page.

    The footer's first line holds its left and right items, the second, centred, its
    middle ones (the marking), so that nothing overlaps in a language with long words.
    A translation says at the top of every page which text prevails.
    """
    template = ctx.template
    width, height = template.page_size
    margins = template.margins
    size = template.sizes["small"]
    body = ctx.fonts.role("body")
    room = width - margins["left"] - margins["right"]
    canvas.saveState()
    canvas.setFillColor(ctx.colour("muted"))
    canvas.setStrokeColor(ctx.colour("rule"))
    canvas.setLineWidth(0.5)
    top = height - margins["top"] + 8
    if page > 1 and template.header:
        left, centre, right = _slots(ctx, template.header, page, pages)
        canvas.line(margins["left"], height - margins["top"] + 4, width - margins["right"], height - margins["top"] + 4)
        _draw_line(canvas, ctx, body, size, top, left, right, room)
    if ctx.sheet.language != ctx.sheet.source_language:
        # On every page of a translation, above everything else: which text is authoritative.
        draw_runs(canvas, body, width / 2, top + size * 1.4, _fit(ctx, ctx.label("prevails"), size, room), size, "centre")
    if template.footer:
        left, centre, right = _slots(ctx, template.footer, page, pages)
        y = margins["bottom"] - 13
        canvas.line(margins["left"], margins["bottom"] - 4, width - margins["right"], margins["bottom"] - 4)
        _draw_line(canvas, ctx, body, size, y, left, right, room)
        if centre:
            draw_runs(canvas, body, width / 2, y - size * 1.4, _fit(ctx, centre, size, room), size, "centre")
    canvas.restoreState()


def _draw_line(canvas: Canvas, ctx: Context, body: Role, size: float, y: float, left: str, right: str, room: float) -> None:
    """A left item and a right item on one line, the left one shortened if the two would meet."""
    margins = ctx.template.margins
    right_width = string_width(body, right, size) if right else 0
    if left:
        draw_runs(canvas, body, margins["left"], y, _fit(ctx, left, size, room - right_width - 12), size, "left")
    if right:
        draw_runs(canvas, body, ctx.template.page_size[0] - margins["right"], y, right, size, "right")


def _fit(ctx: Context, text: str, size: float, room: float) -> str:
    """Shorten text with an ellipsis so that it fits `room` points."""
    role = ctx.fonts.role("body")
    if string_width(role, text, size) <= room:
        return text
    while text and string_width(role, text + "…", size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def numbered_canvas(ctx: Context):
    """A canvas class that holds pages back until the end, so each footer can say "of M"."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list = []

        def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def bookmarkPage(self, key, *args, **kwargs):  # noqa: N802 (ReportLab's name)
            # Pages are held back, so ReportLab's page counter still says 1: point the
            # destination at the page being drawn, which save() adds as Page<N> in order.
            dest = super().bookmarkPage(key, *args, **kwargs)
            dest.setPage(PDFObjectReference(f"Page{len(self._pages) + 1}"))
            return dest

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, 1):
                self.__dict__.update(state)
                decorate(self, ctx, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas
