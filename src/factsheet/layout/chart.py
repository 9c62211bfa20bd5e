"""Claims of one figure drawn on one scale, so the gap between them shows at a glance.

Each claim gets one row: an exact value is a bar from the origin, a range a
bar from its low to its high end, a lower bound ("more than 6,000") a bar
that runs off to the right edge with an arrow, an upper bound a bar from the
origin ending in a cap. When the claims differ by a factor of 100 or more,
the scale is logarithmic, so that "4–5" and "6,000" are both visible.
"""

from __future__ import annotations

import math
from decimal import Decimal

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String

from .. import model as m
from ..scales import Scale

ROW_HEIGHT = 13.0
BAR_HEIGHT = 7.0
LABEL_SIZE = 7.5  # notes on the page are never smaller than this


def _drawing(width: float, height: float, font: str) -> Drawing:
    """A Drawing whose base font is ours: ReportLab would otherwise set an unembedded Helvetica."""
    d = Drawing(width, height)
    d.initialFontName = font
    return d


def claim_bar(value: m.Value, scale: Scale, colour, muted, font: str, label: str = "") -> Drawing:
    """One claim's mark on the shared scale, a dot at every value it gives, and its value written beside it."""
    d = _drawing(scale.width, ROW_HEIGHT, font)
    y = (ROW_HEIGHT - BAR_HEIGHT) / 2
    low = float(value.low) if value.low is not None else None
    high = float(value.high) if value.high is not None else None
    origin = 0.0
    d.add(Line(0, ROW_HEIGHT / 2, scale.width, ROW_HEIGHT / 2, strokeColor=muted, strokeWidth=0.25, strokeDashArray=[1, 2]))
    if value.kind == "exact":
        d.add(Rect(origin, y, max(scale.x(low), 2), BAR_HEIGHT, fillColor=colour, strokeColor=None))
    elif value.kind == "range":
        start, end = scale.x(low), scale.x(high)
        d.add(Rect(start, y, max(end - start, 2.5), BAR_HEIGHT, fillColor=colour, strokeColor=None))
        for x in (start, max(end, start + 2.5)):
            d.add(Line(x, y - 1.5, x, y + BAR_HEIGHT + 1.5, strokeColor=colour, strokeWidth=0.8))
    elif value.kind in ("more_than", "at_least"):
        start = scale.x(low)
        tip = scale.width
        d.add(Rect(start, y, max(tip - start - 6, 1), BAR_HEIGHT, fillColor=colour, strokeColor=None))
        d.add(Line(start, y - 1.5, start, y + BAR_HEIGHT + 1.5, strokeColor=colour, strokeWidth=1.2))
        d.add(Polygon([tip - 7, y - 2, tip, ROW_HEIGHT / 2, tip - 7, y + BAR_HEIGHT + 2], fillColor=colour, strokeColor=None))
    elif value.kind in ("fewer_than", "at_most"):
        end = scale.x(high)
        d.add(Rect(origin, y, max(end, 2), BAR_HEIGHT, fillColor=colour, strokeColor=None, fillOpacity=0.55))
        d.add(Line(end, y - 1.5, end, y + BAR_HEIGHT + 1.5, strokeColor=colour, strokeWidth=1.2))
    else:  # about
        d.add(Circle(scale.x(low), ROW_HEIGHT / 2, BAR_HEIGHT / 2, fillColor=colour, strokeColor=None))
    points = [scale.x(n) for n in (low, high) if n is not None]
    for x in points:  # every value the claim gives is a visible point, whatever the mark
        d.add(Circle(x, ROW_HEIGHT / 2, 1.6, fillColor=muted, strokeColor=None))
    if label:
        _label(d, label, points, scale, value, font)
    return d


def _label(d: Drawing, text: str, points: list, scale: Scale, value: m.Value, font: str) -> None:
    """The value in figures next to its mark: after it where there is room (never under an arrow), else before it."""
    width = stringWidth(text, font, LABEL_SIZE)
    start, end = min(points), max(points)
    if value.kind in ("more_than", "at_least"):
        end = scale.width  # the arrow takes the rest of the row
    x = end + 3 if end + 3 + width <= scale.width else max(start - 3 - width, 0.0)
    d.add(Rect(x - 1, ROW_HEIGHT / 2 - LABEL_SIZE * 0.5, width + 2, LABEL_SIZE, fillColor=colors.white, strokeColor=None))
    d.add(String(x, ROW_HEIGHT / 2 - LABEL_SIZE * 0.35, text, fontName=font, fontSize=LABEL_SIZE, textAnchor="start"))


def axis(scale: Scale, font: str, size: float, muted, label) -> Drawing:
    """The shared axis under the bars, with tick labels formatted by `label`."""
    height = size + 6
    d = _drawing(scale.width, height, font)
    top = height - 1
    d.add(Line(0, top, scale.width, top, strokeColor=muted, strokeWidth=0.5))
    taken = -math.inf  # right edge of the last label drawn; labels that would overlap it are left out
    for tick in scale.ticks():
        x = scale.x(tick)
        d.add(Line(x, top, x, top - 3, strokeColor=muted, strokeWidth=0.5))
        text = label(Decimal(str(int(tick)) if tick >= 1 else str(tick)))
        width = stringWidth(text, font, size)
        start = 0.0 if x < 4 else scale.width - width if x > scale.width - 4 else x - width / 2
        if start > taken + 3:
            d.add(String(start, 0.5, text, fontName=font, fontSize=size, fillColor=muted, textAnchor="start"))
            taken = start + width
    return d
