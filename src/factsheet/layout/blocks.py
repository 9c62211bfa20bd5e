"""Block builders: one function per template block type, each returning flowables.

A template lists blocks by type; BUILDERS maps each type to the function
that lays it out. Every string reaches Paragraph markup through Context.m,
which escapes it, so record text can never become markup.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape
from typing import Callable

from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer, Table, TableStyle

from ..i18n import format_number
from ..resolve import RFact, RFigure, safe_link
from ..scales import mark_keys, mark_numbers, scale_for
from . import chart
from .context import Context, Para
from .page import draw_runs

Builder = Callable[[Context, dict], list]
BUILDERS: dict[str, Builder] = {}


def builder(name: str) -> Callable[[Builder], Builder]:
    """Register the builder for a block type."""

    def register(func: Builder) -> Builder:
        BUILDERS[name] = func
        return func

    return register


class Heading(Para):
    """A heading that also becomes an entry in the PDF outline."""

    def __init__(self, markup: str, style, outline: str, key: str, level: int = 0) -> None:
        super().__init__(markup, style)
        self.outline = outline
        self.key = key
        self.level = level


def heading(ctx: Context, text: str, key: str, level: int = 0) -> Heading:
    """A section heading with its outline entry."""
    return Heading(ctx.m(text, "heading"), ctx.styles["heading"], text, key, level)


class HeadedTable(Flowable):
    """A heading and the table under it, kept together across a page break.

    The heading never ends a page alone: if not even the table's first row fits
    below it, both move on. When the table runs onto the next page, that part
    opens with the heading again, marked "(continued)".
    """

    def __init__(self, ctx: Context, head: Para, body: Table, text: str) -> None:
        super().__init__()
        self.ctx, self.head, self.body, self.text = ctx, head, body, text

    def _head_height(self, width: float) -> float:
        return self.head.wrap(width, 10_000)[1] + self.head.getSpaceAfter()

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        """The heading's height and the table's, one above the other."""
        head = self._head_height(available_width)
        self.width = available_width
        self.height = head + self.body.wrap(available_width, available_height - head)[1]
        return self.width, self.height

    def getSpaceBefore(self) -> float:  # noqa: N802 (ReportLab's name)
        """The heading's space above."""
        return self.head.getSpaceBefore()

    def split(self, available_width: float, available_height: float) -> list:
        """[this heading with the rows that fit, "(continued)" with the rest], or [] to move on whole."""
        head = self._head_height(available_width)
        parts = self.body.split(available_width, available_height - head)
        if len(parts) < 2:
            return []
        continued = self.ctx.label("continued", heading=self.text)
        again = Para(self.ctx.m(continued, "heading"), self.ctx.styles["heading"])
        return [HeadedTable(self.ctx, self.head, parts[0], self.text), HeadedTable(self.ctx, again, parts[1], self.text)]

    def draw(self) -> None:
        """The heading at the top, the table below it."""
        body_height = self.body.wrap(self.width, self.height)[1]
        self.head.wrap(self.width, self.height)
        self.head.drawOn(self.canv, 0, body_height + self.head.getSpaceAfter())
        self.body.drawOn(self.canv, 0, 0)


def headed(ctx: Context, text: str, key: str, body: Table) -> HeadedTable:
    """A heading (with its outline entry) and its table, which never part on a page break."""
    return HeadedTable(ctx, heading(ctx, text, key), body, text)


def table(rows: list, widths: list, style: list, ctx: Context) -> Table:
    """A Table whose own font settings are ours, so ReportLab adds no Helvetica."""
    base = [("FONTNAME", (0, 0), (-1, -1), ctx.fonts.role("body").font_name),
            ("FONTSIZE", (0, 0), (-1, -1), ctx.template.sizes["body"]),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]
    return Table(rows, colWidths=widths, style=TableStyle(base + style), hAlign="LEFT")


class Badge(Flowable):
    """A small coloured status badge: a rounded box with the status word, drawn directly.

    A badge is one short word on one line, so it needs no Paragraph (no markup
    parsing, no line breaking); that matters when every fact has one.
    """

    def __init__(self, ctx: Context, status: str, label: str) -> None:
        super().__init__()
        self.ctx, self.colour, self.text = ctx, ctx.colour(status), label.upper()
        self.size = ctx.styles["badge"].fontSize
        self.width, self.height = ctx.badge_width, self.size + 4.2

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        """Fixed size: the badge width of this language, one line high."""
        return self.width, self.height

    def draw(self) -> None:
        """The box, then the word centred in it, in the body font's bold face with fallback runs."""
        canvas = self.canv
        canvas.setFillColor(self.colour)
        canvas.roundRect(0, 0, self.width, self.height, 2, stroke=0, fill=1)
        canvas.setFillColorRGB(1, 1, 1)
        draw_runs(canvas, self.ctx.fonts.role("body", bold=True), self.width / 2, 1.6 + self.size * 0.12, self.text,
                  self.size, "centre")


def badge(ctx: Context, status: str, label: str) -> Badge:
    """A small coloured status badge; the same colour and shape for a status everywhere."""
    return Badge(ctx, status, label)


@builder("title-band")
def title_band(ctx: Context, options: dict) -> list:
    """The sheet title with the as-of date and the desk's name."""
    sheet = ctx.sheet
    subtitle = f"{ctx.m(ctx.label('as_of', date=sheet.as_of))} · {ctx.m(sheet.organisation)}"
    words = sheet.title.text.rsplit(" ", 1)
    # The last two words of a title go together: a title never ends on a line holding one word.
    heading_text = replace(sheet.title, text="\u00a0".join(words)) if len(sheet.title.text.split()) > 2 else sheet.title
    if options["style"] == "plain":
        title = ctx.para(ctx.rtext(heading_text, "heading"), "title", textColor=ctx.colour("accent"))
        sub = ctx.para(subtitle, "small")
        return [title, Spacer(1, 2), sub, Spacer(1, 3),
                table([[""]], [ctx.width], [("LINEABOVE", (0, 0), (-1, -1), 1.2, ctx.colour("accent"))], ctx),
                Spacer(1, 6)]
    title = ctx.para(ctx.rtext(heading_text, "heading"), "title")
    sub = ctx.para(subtitle, "small", textColor=ctx.colour("band-text"))
    band = table([[title], [sub]], [ctx.width],
                 [("BACKGROUND", (0, 0), (-1, -1), ctx.colour("band")),
                  ("LEFTPADDING", (0, 0), (-1, -1), 10), ("RIGHTPADDING", (0, 0), (-1, -1), 10),
                  ("TOPPADDING", (0, 0), (0, 0), 9), ("BOTTOMPADDING", (0, -1), (-1, -1), 8),
                  ("TOPPADDING", (0, 1), (-1, 1), 3)], ctx)
    return [band, Spacer(1, 7)]


@builder("notices")
def notices(ctx: Context, options: dict) -> list:
    """Translated notices a reader must see: unreviewed or missing translation."""
    if not ctx.sheet.notices:
        return []
    text = " ".join(ctx.m(n) for n in ctx.sheet.notices)
    box = table([[ctx.para(text, "small", textColor=ctx.colour("claimed"))]], [ctx.width],
                [("BOX", (0, 0), (-1, -1), 0.6, ctx.colour("claimed")),
                 ("LEFTPADDING", (0, 0), (-1, -1), 6), ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                 ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)], ctx)
    return [box, Spacer(1, 6)]


@builder("summary")
def summary(ctx: Context, options: dict) -> list:
    """The summary in a tinted box."""
    label = Heading(ctx.m(ctx.label("summary").upper(), "heading"), ctx.styles["label"], ctx.label("summary"), "summary")
    body = ctx.para(ctx.rtext(ctx.sheet.summary), "lead")
    box = table([[label], [body]], [ctx.width],
                [("BACKGROUND", (0, 0), (-1, -1), ctx.colour("box")),
                 ("LINEBEFORE", (0, 0), (0, -1), 2.5, ctx.colour("accent")),
                 ("LEFTPADDING", (0, 0), (-1, -1), 9), ("RIGHTPADDING", (0, 0), (-1, -1), 9),
                 ("TOPPADDING", (0, 0), (0, 0), 5), ("BOTTOMPADDING", (0, -1), (-1, -1), 6),
                 ("TOPPADDING", (0, 1), (-1, 1), 2)], ctx)
    return [box, Spacer(1, 6)]


def _claim_cell(ctx: Context, figure: RFigure, claim) -> list:
    """A claim as a key number: its status badge, the value, who claims it, and any note."""
    value = ctx.para(ctx.m(claim.value_text, "figures") + (" †" if figure.unit.fallback else ""), "figure")
    value = table([[value, badge(ctx, claim.status, claim.status_label)]], [None, ctx.badge_width],
                  [("VALIGN", (1, 0), (1, 0), "MIDDLE")], ctx)
    who = ctx.para(change_mark(ctx, claim.change) + ctx.m(ctx.label("according_to", who=claim.attribution))
                   + ctx.cites(claim.citations) + _corrected_mark(ctx, claim.corrected), "small")
    cell = [value, who]
    if claim.note:
        cell.append(ctx.para(ctx.rtext(claim.note), "small", textColor=ctx.colour("ink")))
    return cell


@builder("key-figures")
def key_figures(ctx: Context, options: dict) -> list:
    """The figures marked key, every claim shown with who makes it; disputed ones flagged."""
    figures = [f for f in ctx.sheet.figures if f.key]
    if not figures:
        return []
    cards = []
    for figure in figures:
        label = ctx.rtext(figure.label, "heading")
        top = ctx.para(label, "label")
        head = [top]
        if figure.disputed:
            head = [table([[top, badge(ctx, "disputed", ctx.label("status_disputed"))]],
                          [None, ctx.badge_width], [], ctx)]
        claims = [_claim_cell(ctx, figure, claim) for claim in figure.claims]
        cards.append((head, claims))
    rows = []
    gap = 8
    for head, claims in cards:
        columns = len(claims)
        inner_width = (ctx.width - 16 - gap * (columns - 1)) / columns
        cells, widths = [], []
        for index, cell in enumerate(claims):
            if index:
                cells.append("")
                widths.append(gap)
            cells.append(cell)
            widths.append(inner_width)
        inner = table([cells], widths, [("LINEBEFORE", (2, 0), (2, 0), 0.5, ctx.colour("rule"))] if columns > 1 else [], ctx)
        rows.append([head + [Spacer(1, 2), inner]])
    block = table(rows, [ctx.width],
                  [("BOX", (0, 0), (-1, -1), 0.6, ctx.colour("rule")),
                   ("LINEBELOW", (0, 0), (-1, -2), 0.4, ctx.colour("rule")),
                   ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                   ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)], ctx)
    title = heading(ctx, ctx.label("key_figures"), "key-figures")
    return [KeepTogether([title, block]), Spacer(1, 4)]


def fact_row(ctx: Context, fact: RFact) -> list:
    """A fact as [badge, text with attribution and citation links], and its correction mark."""
    text = (f"{change_mark(ctx, fact.change)}{ctx.rtext(fact.text)} "
            f"<font color=\"{ctx.hex('muted')}\">{ctx.m(ctx.label('according_to', who=fact.attribution))}</font>"
            f"{ctx.cites(fact.citations)}{_corrected_mark(ctx, fact.corrected)}")
    return [badge(ctx, fact.status, fact.status_label), ctx.para(text)]


def change_mark(ctx: Context, change: str | None) -> str:
    """'NEW ' or 'UPDATED ' in bold before a record changed since the previous edition; '' for one that is not."""
    if not change:
        return ""
    return f'<font color="{ctx.hex("accent")}"><b>{ctx.m(ctx.label(change).upper())}</b></font> '


def _corrected_mark(ctx: Context, label: str | None) -> str:
    """' [Corrected 2 July 2025]', linked to the Corrections block, for a corrected record."""
    if not label:
        return ""
    return (f' <a href="#corrections" color="{ctx.hex("disputed")}">[{ctx.m(label)}]</a>')


def facts_table(ctx: Context, facts: list) -> Table:
    """Facts one per row, badge on the left."""
    return rows_table(ctx, [fact_row(ctx, fact) for fact in facts])


def rows_table(ctx: Context, rows: list) -> Table:
    """Fact rows (from fact_row) as a table, badge on the left."""
    return table(rows, [ctx.badge_width + 7, ctx.width - ctx.badge_width - 7],
                 [("BOTTOMPADDING", (0, 0), (-1, -1), 4.5), ("TOPPADDING", (0, 0), (0, -1), 0.6)], ctx)


@builder("sections")
def sections(ctx: Context, options: dict) -> list:
    """Every section with its facts, in the editors' order."""
    story: list = []
    for section in ctx.sheet.sections:
        story.append(headed(ctx, ctx.title_text(section.title), f"section-{section.id}",
                            facts_table(ctx, list(section.facts))))
    return story


@builder("key-facts")
def key_facts(ctx: Context, options: dict) -> list:
    """The facts marked key (then the others), up to a limit or as many as the page holds, saying where the rest are."""
    every = [fact for section in ctx.sheet.sections for fact in section.facts]
    ordered = [fact for fact in every if fact.key] + [fact for fact in every if not fact.key]
    if options["limit"] == "fill":
        return [FillingFacts(ctx, ordered, len(every))]
    chosen = [fact for fact in every if fact.key][: options["limit"] or None]
    return [heading(ctx, ctx.label("key_facts"), "key-facts"), facts_table(ctx, chosen)] + \
        _more_facts(ctx, len(every) - len(chosen))


def _more_facts(ctx: Context, hidden: int) -> list:
    """'N more facts in the full briefing (file)': where a reader of a short card finds the rest."""
    if not hidden:
        return []
    full = f"{ctx.sheet.sheet_id}.{ctx.sheet.language}.pdf"
    more = ctx.sheet.translator.ngettext("{n} more fact in the full briefing, {file}.",
                                         "{n} more facts in the full briefing, {file}.", hidden, file=full)
    return [ctx.para(ctx.m(more), "small")]


class FillingFacts(Flowable):
    """As many facts as fit in the room left on the page (keeping room for what follows), then where the rest are.

    The room is known only when the frame asks, so the choice is made in wrap().
    """

    def __init__(self, ctx: Context, facts: list, total: int) -> None:
        super().__init__()
        self.ctx, self.facts, self.total = ctx, facts, total
        self.reserve = 0.0  # height of the blocks after this one, set by build_story
        self.parts: list = []

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        """Choose the longest run of facts whose heading, table and closing line fit above the reserve.

        When not even one fact fits, only the closing line is left: where the facts are.
        """
        room = available_height - self.reserve
        best = _more_facts(self.ctx, self.total)
        # Every trial table reuses the same rows, so each fact's lines are broken once, not once per trial.
        head = Para(self.ctx.m(self.ctx.label("key_facts"), "heading"), self.ctx.styles["heading"])
        rows = [fact_row(self.ctx, fact) for fact in self.facts]
        for count in range(1, len(self.facts) + 1):
            parts = [head, rows_table(self.ctx, rows[:count])] + _more_facts(self.ctx, self.total - count)
            height = sum(part.wrap(available_width, available_height)[1] for part in parts)
            if height > room:
                break
            best = parts
        self.parts = best
        self.width = available_width
        self.height = sum(part.wrap(available_width, available_height)[1] for part in best)
        return available_width, self.height

    def draw(self) -> None:
        """Draw the chosen parts top to bottom."""
        y = self.height
        for part in self.parts:
            _, height = part.wrap(self.width, self.height)
            y -= height
            part.drawOn(self.canv, 0, y)


@builder("disputed-figures")
def disputed_figures(ctx: Context, options: dict) -> list:
    """Each disputed figure's claims side by side: a table, and bars on one shared scale."""
    figures = [f for f in ctx.sheet.figures if f.disputed]
    if not figures:
        return []
    story: list = [CondPageBreak(120), heading(ctx, ctx.label("disputed_figures"), "disputed-figures")]
    colours_cycle = [ctx.colour("accent"), ctx.colour("disputed"), ctx.colour("claimed"), ctx.colour("reported")]
    for figure in figures:
        chart_width = 150 if options["chart"] else 0
        scale = scale_for([c.value for c in figure.claims], chart_width or 1)
        widths = [ctx.width * 0.30, ctx.width * 0.28, ctx.width * 0.13]
        if chart_width:
            widths[0] = ctx.width - widths[1] - widths[2] - chart_width - 8
            widths += [8, chart_width]
        head = [ctx.para(ctx.m(ctx.label(key)), "label") for key in ("claim", "according_to_column", "date")]
        if chart_width:
            head += ["", ""]
        rows = [head]
        for index, claim in enumerate(figure.claims):
            value = [ctx.para(change_mark(ctx, claim.change) + f"<b>{ctx.m(claim.value_text)}</b>"
                              + (" †" if figure.unit.fallback else ""))]
            if claim.note:
                value.append(ctx.para(ctx.rtext(claim.note), "small"))
            row = [value, ctx.para(ctx.m(claim.attribution) + ctx.cites(claim.citations)), ctx.para(ctx.m(claim.as_of), "small")]
            if chart_width:
                row += ["", chart.claim_bar(claim.value, scale, colours_cycle[index % 4], ctx.colour("muted"),
                                            ctx.fonts.role("body").font_name, mark_numbers(claim.value, _locale(ctx)))]
            rows.append(row)
        style = [("LINEBELOW", (0, 0), (-1, 0), 0.6, ctx.colour("rule")), ("LINEBELOW", (0, 1), (-1, -1), 0.3, ctx.colour("rule")),
                 ("TOPPADDING", (0, 1), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                 ("RIGHTPADDING", (0, 0), (2, -1), 5)]
        if chart_width:
            axis = chart.axis(scale, ctx.fonts.role("body").font_name, ctx.template.sizes["small"], ctx.colour("muted"),
                              lambda n: format_number(n, _locale(ctx)))
            caption = ctx.label("axis_title", unit=figure.unit.text) + ". " + \
                ctx.label("scale_log" if scale.log else "scale_linear") + ". " + _mark_legend(ctx, figure)
            rows.append(["", "", "", "", axis])
            rows.append([ctx.para(ctx.m(caption), "small"), "", "", "", ""])
            style += [("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)), ("VALIGN", (4, 1), (4, -1), "MIDDLE")]
        title = ctx.para(f"{ctx.rtext(figure.label, 'heading')}", "body", fontName=ctx.fonts.role("heading").font_name)
        story.append(KeepTogether([title, Spacer(1, 3), table(rows, widths, style, ctx)]))
        story.append(Spacer(1, 6))
    return story


@builder("bottom-line")
def bottom_line(ctx: Context, options: dict) -> list:
    """The panel that opens page 1: two or three takeaways and the key numbers, each with its status and who says so.

    A sheet without takeaways shows its summary there instead.
    """
    label = Heading(ctx.m(ctx.label("bottom_line").upper(), "heading"), ctx.styles["label"], ctx.label("bottom_line"),
                    "bottom-line")
    rows: list = [[label, ""]]
    if ctx.sheet.bottom_line:
        for fact in ctx.sheet.bottom_line:
            text = (f"{change_mark(ctx, fact.change)}{ctx.rtext(fact.text)} <font color=\"{ctx.hex('muted')}\">"
                    f"{ctx.m(ctx.label('according_to', who=fact.attribution))}</font>{ctx.cites(fact.citations)}")
            rows.append([badge(ctx, fact.status, fact.status_label), ctx.para(text, "lead")])
    else:
        rows.append([ctx.para(ctx.rtext(ctx.sheet.summary), "lead"), ""])
    # The key figures; figures in a contrast are shown there, with what the contrast means.
    numbers = [(figure, claim) for figure in ctx.sheet.figures if figure.key for claim in figure.claims]
    if numbers:
        cells = [[ctx.para(ctx.m(claim.value_text, "figures"), "label", textColor=ctx.colour("accent"),
                           fontSize=ctx.template.sizes["body"] * 1.15, leading=ctx.template.sizes["body"] * 1.4),
                  badge(ctx, claim.status, claim.status_label),
                  ctx.para(f"{change_mark(ctx, claim.change)}{ctx.rtext(figure.label)} · "
                           f"{ctx.m(ctx.label('according_to', who=claim.attribution))}"
                           f"{ctx.cites(claim.citations)}", "small")] for figure, claim in numbers]
        grid = table(cells, [ctx.width * 0.26, ctx.badge_width + 6, None],
                     [("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)], ctx)
        rows.append([ctx.para(ctx.m(ctx.label("key_numbers").upper(), "heading"), "label"), ""])
        rows.append([grid, ""])
    spans = [("SPAN", (0, 0), (1, 0))] + [("SPAN", (0, i), (1, i)) for i, row in enumerate(rows) if row[1] == ""]
    first = ctx.badge_width + 7 + 9  # the badge, its gap, and the panel's left padding
    box = table(rows, [first, ctx.width - first],
                [("BACKGROUND", (0, 0), (-1, -1), ctx.colour("box")),
                 ("LINEBEFORE", (0, 0), (0, -1), 2.5, ctx.colour("accent")),
                 ("LEFTPADDING", (0, 0), (0, -1), 9), ("RIGHTPADDING", (-1, 0), (-1, -1), 9),
                 ("TOPPADDING", (0, 0), (-1, 0), 5), ("BOTTOMPADDING", (0, -1), (-1, -1), 6),
                 ("BOTTOMPADDING", (0, 1), (-1, -2), 4), ("TOPPADDING", (0, 1), (0, -1), 2)] + spans, ctx)
    return [box, Spacer(1, 6)]


@builder("status-legend")
def status_legend(ctx: Context, options: dict) -> list:
    """What each status badge means, so a reader can tell a claim from a fact."""
    rows = [[badge(ctx, status, ctx.label(f"status_{status}")), ctx.para(ctx.m(ctx.label(f"legend_{status}")), "small")]
            for status in ("confirmed", "reported", "claimed", "disputed")]
    half = (ctx.width - 2 * (ctx.badge_width + 6) - 12) / 2
    grid = table([rows[0] + [""] + rows[1], rows[2] + [""] + rows[3]],
                 [ctx.badge_width + 6, half, 12, ctx.badge_width + 6, half],
                 [("BOTTOMPADDING", (0, 0), (-1, -1), 3), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")], ctx)
    title = ctx.para(ctx.m(ctx.label("legend"), "heading"), "label")
    return [KeepTogether([title, Spacer(1, 2), grid]), Spacer(1, 6)]


@builder("contrasts")
def contrasts(ctx: Context, options: dict) -> list:
    """Two figures that count different things side by side, each with its own label, value and source,
    and the sentence saying what the contrast means; never one axis, never a "versus" of estimates."""
    story: list = []
    for contrast in ctx.sheet.contrasts:
        gap = 10
        half = (ctx.width - 16 - gap) / 2
        cells = []
        for side in contrast.sides:
            cell = [ctx.para(ctx.rtext(side.label, "heading"), "label")]
            if side.disputed:  # its own claims disagree: say so, as the key-figures box does
                cell = [table([[cell[0], badge(ctx, "disputed", ctx.label("status_disputed"))]],
                              [None, ctx.badge_width], [], ctx)]
            for claim in side.claims:
                cell += _claim_cell(ctx, side, claim)
            cells.append(cell)
        inner = table([[cells[0], "", cells[1]]], [half, gap, half],
                      [("LINEBEFORE", (2, 0), (2, 0), 0.5, ctx.colour("rule")), ("LEFTPADDING", (2, 0), (2, 0), gap)], ctx)
        kind = ctx.para(ctx.m(ctx.label("contrast_note")), "small", textColor=ctx.colour("muted"))
        meaning = ctx.para(ctx.rtext(contrast.meaning), "lead")
        box = table([[inner], [kind], [meaning]], [ctx.width],
                    [("BOX", (0, 0), (-1, -1), 0.6, ctx.colour("rule")),
                     ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                     ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                     ("BACKGROUND", (0, 2), (-1, 2), ctx.colour("box"))], ctx)
        title = heading(ctx, ctx.title_text(contrast.title), f"contrast-{contrast.id}")
        story += [KeepTogether([title, box]), Spacer(1, 6)]
    return story


@builder("changes")
def changes(ctx: Context, options: dict) -> list:
    """What changed since the previous edition, under its dated heading; nothing for a first edition.

    The full style gives each kind of change a line; the short one runs them on after the heading, for a card.
    """
    if not ctx.sheet.changes:
        return []
    heading_text, lines = ctx.sheet.changes.heading, ctx.sheet.changes.lines
    label = ctx.m(heading_text.upper(), "heading")
    if options["style"] == "short":
        rows = [[Heading(f"{label}  <font color=\"{ctx.hex('ink')}\">{ctx.m(' '.join(lines))}</font>",
                         ctx.styles["small"], heading_text, "changes")]]
    else:
        rows = [[Heading(label, ctx.styles["label"], heading_text, "changes")]] + \
            [[ctx.para("• " + ctx.m(line), "small", textColor=ctx.colour("ink"))] for line in lines]
    box = table(rows, [ctx.width],
                [("BOX", (0, 0), (-1, -1), 0.6, ctx.colour("accent")),
                 ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                 ("TOPPADDING", (0, 0), (0, 0), 4), ("BOTTOMPADDING", (0, -1), (-1, -1), 5),
                 ("TOPPADDING", (0, 1), (-1, -1), 1.5)], ctx)
    return [box, Spacer(1, 6)]


@builder("corrections")
def corrections(ctx: Context, options: dict) -> list:
    """Every correction and withdrawal, dated, with its note: nothing is taken back silently."""
    if not ctx.sheet.corrections:
        return []
    rows = [[ctx.para(ctx.m(item.label, "heading"), "label", textColor=ctx.colour("disputed")),
             ctx.para(f"{ctx.rtext(item.subject)}<br/>"
                      f"<font color=\"{ctx.hex('muted')}\">{ctx.rtext(item.note)}</font>", "small",
                      textColor=ctx.colour("ink"))]
            for item in ctx.sheet.corrections]
    date_width = 92
    body = table(rows, [date_width, ctx.width - date_width], [("BOTTOMPADDING", (0, 0), (-1, -1), 3.5)], ctx)
    anchor = ctx.para('<a name="corrections"/>', "small")
    return [CondPageBreak(60), heading(ctx, ctx.label("corrections"), "corrections"), anchor, body]


def _mark_legend(ctx: Context, figure: RFigure) -> str:
    """What each kind of mark in this chart means, and what the colours are, in words."""
    kinds = mark_keys([claim.value for claim in figure.claims])
    return ". ".join([ctx.label(kind) for kind in kinds] + [ctx.label("mark_colours")]) + "."


def _locale(ctx: Context):
    return ctx.sheet.translator.locale


@builder("timeline")
def timeline(ctx: Context, options: dict) -> list:
    """Dated events and facts in date order; partial dates shown as given."""
    if not ctx.sheet.timeline:
        return []
    rows = [[ctx.para(ctx.m(entry.date, "heading"), "label", textColor=ctx.colour("accent")),
             ctx.para(ctx.rtext(entry.text) + ctx.cites(entry.citations))]
            for entry in ctx.sheet.timeline]
    date_width = 92
    body = table(rows, [date_width, ctx.width - date_width],
                 [("LINEBEFORE", (1, 0), (1, -1), 1.2, ctx.colour("rule")), ("LEFTPADDING", (1, 0), (1, -1), 7),
                  ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5), ("TOPPADDING", (0, 0), (0, -1), 0.8)], ctx)
    return [headed(ctx, ctx.label("timeline"), "timeline", body)]


@builder("sources")
def sources(ctx: Context, options: dict) -> list:
    """The numbered source list that citation numbers link to; unknowns are said, not left blank."""
    short = options["style"] == "short"
    rows = []
    for source in ctx.sheet.sources:
        anchor = f'<a name="src-{source.number}"/>'
        title = ctx.m(f"“{source.title}”")
        if source.translated_title:
            title += f" ({ctx.m(source.translated_title)})"
        published = source.published[:1].upper() + source.published[1:]  # a sentence of its own: "On or after ..."
        parts = [(f"<b>{ctx.m(source.publisher)}</b>", source.publisher), (title, source.title),
                 (ctx.m(published), published)]
        link = safe_link(source.url)
        if not short:
            if link:  # a source without a recorded address shows none: nothing to follow, nothing to explain
                parts.append((f'<a href="{escape(link)}" color="{ctx.hex("accent")}">{ctx.m(link)}</a>', link))
        text = _sentences(parts)
        if source.note and not short:
            text += f' <font color="{ctx.hex("muted")}">{ctx.rtext(source.note)}</font>'
        rows.append([ctx.para(f"{anchor}{source.number}", "small", textColor=ctx.colour("accent")),
                     ctx.para(text, "small", textColor=ctx.colour("ink"))])
    count = ctx.sheet.translator.ngettext("{n} source cited", "{n} sources cited", len(ctx.sheet.sources))
    rows.insert(0, [ctx.para(ctx.m(count), "small"), ""])
    body = table(rows, [14, ctx.width - 14], [("BOTTOMPADDING", (0, 0), (-1, -1), 2.5), ("SPAN", (0, 0), (1, 0))], ctx)
    return [headed(ctx, ctx.label("sources"), "sources", body)]


def _sentences(parts: list[tuple[str, str]]) -> str:
    """Join (markup, plain text) parts as sentences, without doubling a full stop that is already there ("30 июня 2025 г.")."""
    text = text_end = ""
    for markup, plain in parts:
        text += markup if not text else (" " if text_end.endswith(".") else ". ") + markup
        text_end = plain.strip()
    return text + ("" if text_end.endswith(".") else ".")


def build_story(ctx: Context) -> list[Flowable]:
    """All blocks of the template, in order, as one list of flowables."""
    blocks = [BUILDERS[block.type](ctx, block.options) for block in ctx.template.blocks]
    for index, flowables in enumerate(blocks):
        for flowable in flowables:
            if isinstance(flowable, FillingFacts):
                # What follows must still fit on the page: measure it once, at the frame's width.
                later = [f for rest in blocks[index + 1:] for f in rest]
                flowable.reserve = sum(f.wrap(ctx.width, 10_000)[1] + f.getSpaceBefore() + f.getSpaceAfter()
                                       for f in later) + 6
    return [flowable for flowables in blocks for flowable in flowables]

