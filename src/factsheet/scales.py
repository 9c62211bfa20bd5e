"""One scale for the claims of one figure, shared by the PDF chart and the HTML one.

Each claim gets one row on it. When the claims differ by a factor of 100 or more,
the scale is logarithmic, so that "4–5" and "6,000" are both visible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import model as m
from .i18n import format_number


@dataclass(frozen=True)
class Scale:
    """Maps values to x positions across a chart's width."""

    low: float
    high: float
    log: bool
    width: float

    def x(self, value: float) -> float:
        """Position of `value`, clamped to the chart."""
        if self.log:
            value = max(value, self.low)
            share = (math.log10(value) - math.log10(self.low)) / (math.log10(self.high) - math.log10(self.low))
        else:
            share = (value - self.low) / (self.high - self.low)
        return max(0.0, min(1.0, share)) * self.width

    def ticks(self) -> list[float]:
        """Tick values: powers of ten on a log scale, round steps on a linear one."""
        if self.log:
            return [10.0 ** e for e in range(round(math.log10(self.low)), round(math.log10(self.high)) + 1)]
        step = _nice_step(self.high / 4)
        return [step * i for i in range(int(self.high / step) + 1)]


def _nice_step(rough: float) -> float:
    power = 10 ** math.floor(math.log10(rough)) if rough > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= rough:
            return factor * power
    return 10 * power


def scale_for(values: list[m.Value], width: float) -> Scale:
    """A scale that shows every claim: logarithmic when they span two orders of magnitude."""
    numbers = [float(n) for v in values for n in (v.low, v.high) if n is not None and n > 0]
    if not numbers:
        return Scale(0.0, 1.0, False, width)
    smallest, largest = min(numbers), max(numbers)
    open_ended = any(v.kind in ("more_than", "at_least") for v in values)
    if largest / smallest >= 100:
        low = 10.0 ** math.floor(math.log10(smallest))
        # An open-ended claim gets a decade of room, so its arrow never covers its own starting mark.
        high = 10.0 ** (math.ceil(math.log10(largest * 1.2)) + (1 if open_ended else 0))
        return Scale(low, high, True, width)
    high = largest * (1.6 if open_ended else 1.1)
    step = _nice_step(high / 4)
    return Scale(0.0, step * math.ceil(high / step), False, width)


# The label key saying how each kind of claim is drawn, for the legend under a chart (PDF and HTML alike).
MARKS = {"exact": "mark_exact", "range": "mark_range", "more_than": "open_ended", "at_least": "open_ended",
         "fewer_than": "mark_less", "at_most": "mark_less", "about": "mark_about"}


def mark_keys(values: list[m.Value]) -> list[str]:
    """The label keys of the marks these claims are drawn with, each once, in order."""
    return list(dict.fromkeys(MARKS[value.kind] for value in values))


def mark_numbers(value: m.Value, locale) -> str:
    """A claim's numbers as written beside its mark in a chart: "6,000", "10–12"."""
    return "–".join(format_number(n, locale) for n in dict.fromkeys(n for n in (value.low, value.high) if n is not None))
