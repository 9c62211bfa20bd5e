"""The HTML edition of a sheet: the resolved sheet its PDF is made from, as one accessible, self-contained page.

Semantic HTML a screen reader can walk: `lang` on the page and on every passage in
another language, one h1 and headings in order, figures as data tables with header
cells, the chart as inline SVG with a text alternative giving every value, statuses as
words, citations as links into the source list. No script and no outside request:
the styles are inline, so the file opens the same offline and in an archive.

Every string from the records is escaped with the standard library's html.escape
(a templating engine would add a dependency for a page this regular).
"""

from __future__ import annotations

from html import escape

from .resolve import RClaim, RFigure, RText, ResolvedSheet, safe_link
from .scales import mark_keys, mark_numbers, scale_for

def e(text: str) -> str:
    """Escaped for text and attribute values alike."""
    return escape(text, quote=True)


def marked(value: RText, source_language: str) -> str:
    """A record's text as HTML: a fallback to the source language is marked † and carries that language's `lang`.

    Shared by the HTML edition and the email's HTML part, so both say the same about an untranslated text.
    """
    if value.fallback:
        return f'<span lang="{e(source_language)}">{e(value.text)}</span>&#8239;†'
    return e(value.text)


class Page:
    """Builds one sheet's page; `colours` are the template's, so a status looks as it does in the PDF."""

    def __init__(self, sheet: ResolvedSheet, colours: dict, marking: str) -> None:
        self.sheet = sheet
        self.colours = colours
        self.marking = marking
        self.labels = sheet.labels
        self.parts: list[str] = []

    def text(self, value: RText) -> str:
        """A record's text, marked when it falls back to the source language (see `marked`)."""
        return marked(value, self.sheet.source_language)

    def status(self, status: str, label: str) -> str:
        """A status as a word in a coloured box; the word is the meaning, the colour only repeats it."""
        return f'<strong class="status status-{e(status)}">{e(label)}</strong>'

    def cites(self, numbers: tuple) -> str:
        """Citation numbers as links to the source list."""
        if not numbers:
            return ""
        links = ", ".join(f'<a href="#src-{n}" aria-label="{e(self.labels["sources"])} {n}">{n}</a>' for n in numbers)
        return f"<sup>{links}</sup>"

    def mark(self, change: str | None) -> str:
        """NEW or UPDATED before a record changed since the previous edition."""
        return f'<strong class="change">{e(self.labels[change])}</strong> ' if change else ""

    def who(self, attribution: str) -> str:
        """Who says so, in the muted colour the PDF uses."""
        return f'<span class="who">{e(self.labels["according_to"].format(who=attribution))}</span>'

    def fact(self, fact) -> str:
        """A fact as a list item: its status, its mark if changed, the text, who says so and its sources."""
        return (f"<li>{self.status(fact.status, fact.status_label)} {self.mark(fact.change)}{self.text(fact.text)} "
                f"{self.who(fact.attribution)}{self.cites(fact.citations)}"
                + (f' <a class="corrected" href="#corrections">{e(fact.corrected)}</a>' if fact.corrected else "")
                + "</li>")

    def claims_table(self, figure: RFigure, heading_level: int) -> str:
        """A figure's claims as a data table: value, who, as of, status; and its chart with a text alternative."""
        caption = self.text(figure.label)
        if figure.disputed:
            caption += f" ({e(self.labels['status_disputed'])})"
        heads = (self.labels["claim"], self.labels["according_to_column"], self.labels["date"], self.labels["status"])
        rows = "".join(
            f'<tr><th scope="row">{self.mark(c.change)}{e(c.value_text)}{"&#8239;†" if figure.unit.fallback else ""}'
            f'</th><td>{e(c.attribution)}{self.cites(c.citations)}</td><td>{e(c.as_of)}</td>'
            f"<td>{self.status(c.status, c.status_label)}</td></tr>" for c in figure.claims)
        return (f'<h{heading_level} id="figure-{e(figure.id)}">{caption}</h{heading_level}>'
                f'<table><thead><tr>{"".join(f"<th scope=col>{e(h)}</th>" for h in heads)}</tr></thead>'
                f"<tbody>{rows}</tbody></table>{self.chart(figure)}")

    def chart(self, figure: RFigure) -> str:
        """The claims on one scale as SVG, its title and description saying every value and who gives it."""
        claims = list(figure.claims)
        if not claims:
            return ""
        width, row = 320, 26
        scale = scale_for([c.value for c in claims], width - 20)
        title = f"{figure.label.text}: {self.labels['axis_title'].format(unit=figure.unit.text)}"
        described = "; ".join(f"{c.value_text}, {self.labels['according_to'].format(who=c.attribution)}" for c in claims)
        shapes = []
        for index, claim in enumerate(claims):
            shapes.append(self._bar(claim, scale, 10 + index * row, index))
        height = 10 + len(claims) * row
        return (f'<figure><svg role="img" aria-labelledby="t-{e(figure.id)} d-{e(figure.id)}" viewBox="0 0 {width} '
                f'{height}" width="{width}" height="{height}"><title id="t-{e(figure.id)}">{e(title)}</title>'
                f'<desc id="d-{e(figure.id)}">{e(described)}</desc>{"".join(shapes)}</svg>'
                f"<figcaption>{e(self._legend(figure, scale.log))}</figcaption></figure>")

    def _bar(self, claim: RClaim, scale, y: float, index: int) -> str:
        colours = [self.colours[name] for name in ("accent", "disputed", "claimed", "reported")]
        colour = colours[index % len(colours)]
        value = claim.value
        low = float(value.low) if value.low is not None else None
        high = float(value.high) if value.high is not None else None
        start = scale.x(low) if value.kind == "range" and low is not None else 0.0
        end = scale.x(high if high is not None else low if low is not None else 0.0)
        if value.kind in ("more_than", "at_least"):
            start, end = scale.x(low or 0.0), scale.width
        numbers = mark_numbers(value, self.sheet.translator.locale)
        return (f'<rect x="{10 + start:.1f}" y="{y:.1f}" width="{max(end - start, 2):.1f}" height="10" fill="{colour}"/>'
                f'<text x="{10 + start:.1f}" y="{y + 21:.1f}" font-size="10" fill="{self.colours["ink"]}">'
                f"{e(numbers)}</text>")

    def _legend(self, figure: RFigure, log: bool) -> str:
        parts = [self.labels["axis_title"].format(unit=figure.unit.text), self.labels["scale_log" if log else "scale_linear"],
                 *(self.labels[k] for k in mark_keys([claim.value for claim in figure.claims]))]
        return ". ".join(parts) + "."

    def section(self, key: str, heading: str, body: str) -> None:
        """A section with its h2, labelled by it for assistive technology."""
        self.parts.append(f'<section aria-labelledby="{key}"><h2 id="{key}">{heading}</h2>{body}</section>')

    def render(self) -> str:
        """The whole page."""
        sheet, labels = self.sheet, self.labels
        for notice in sheet.notices:
            self.parts.append(f'<p class="notice" role="note">{e(notice)}</p>')
        if sheet.changes:
            self.section("changes", e(sheet.changes.heading),
                         "<ul>" + "".join(f"<li>{e(line)}</li>" for line in sheet.changes.lines) + "</ul>")
        if sheet.bottom_line:
            self.section("bottom-line", e(labels["bottom_line"]),
                         '<ul class="facts">' + "".join(self.fact(f) for f in sheet.bottom_line) + "</ul>")
        else:
            self.section("bottom-line", e(labels["summary"]), f"<p>{self.text(sheet.summary)}</p>")
        if sheet.corrections:
            items = "".join(f"<li><strong>{e(c.label)}</strong>: {self.text(c.subject)}<br>"
                            f'<span class="who">{self.text(c.note)}</span></li>' for c in sheet.corrections)
            self.section("corrections", e(labels["corrections"]), f"<ul>{items}</ul>")
        for contrast in sheet.contrasts:
            body = "".join(self.claims_table(side, 3) for side in contrast.sides)
            body += f'<p class="meaning"><em>{e(labels["contrast_note"])}.</em> {self.text(contrast.meaning)}</p>'
            self.section(f"contrast-{e(contrast.id)}", self.text(contrast.title), body)
        legend = "".join(f"<dt>{self.status(s, labels[f'status_{s}'])}</dt><dd>{e(labels[f'legend_{s}'])}</dd>"
                         for s in ("confirmed", "reported", "claimed", "disputed"))
        self.section("legend", e(labels["legend"]), f'<dl class="legend">{legend}</dl>')
        for part in sheet.sections:
            self.section(f"section-{e(part.id)}", self.text(part.title),
                         '<ul class="facts">' + "".join(self.fact(f) for f in part.facts) + "</ul>")
        if sheet.figures:
            self.section("figures", e(labels["disputed_figures" if any(f.disputed for f in sheet.figures)
                                             else "key_figures"]),
                         "".join(self.claims_table(figure, 3) for figure in sheet.figures))
        if sheet.timeline:
            items = "".join(f"<li><strong>{e(entry.date)}</strong> {self.text(entry.text)}{self.cites(entry.citations)}"
                            "</li>" for entry in sheet.timeline)
            self.section("timeline", e(labels["timeline"]), f'<ol class="timeline">{items}</ol>')
        self.section("sources", e(labels["sources"]), self._sources())
        return self._page()

    def _sources(self) -> str:
        items = []
        for source in self.sheet.sources:
            lang = f' lang="{e(source.language)}"' if source.language and source.language != self.sheet.language else ""
            title = f"<cite{lang}>{e(source.title)}</cite>"
            if source.translated_title:
                title += f" ({e(source.translated_title)})"
            link = safe_link(source.url)
            published = source.published[:1].upper() + source.published[1:]  # a sentence of its own: "On or after ..."
            parts = [f"<strong>{e(source.publisher)}</strong>", title, e(published)]
            if link:
                parts.append(f'<a href="{e(link)}">{e(link)}</a>')
            note = f' <span class="who">{self.text(source.note)}</span>' if source.note else ""
            items.append(f'<li id="src-{source.number}">{". ".join(parts)}.{note}</li>')
        return f'<ol class="sources">{"".join(items)}</ol>'

    def _page(self) -> str:
        sheet, c = self.sheet, self.colours
        head = (f"<p class=\"meta\">{e(self.labels['as_of'].format(date=sheet.as_of))} · {e(sheet.organisation)}</p>"
                f"<h1>{self.text(sheet.title)}</h1><p class=\"meta\">{e(sheet.edition)}</p>")
        style = STYLE.replace("{ink}", c["ink"]).replace("{muted}", c["muted"]).replace("{accent}", c["accent"]) \
            .replace("{box}", c["box"]).replace("{rule}", c["rule"]).replace("{claimed}", c["claimed"])
        style += "".join(f".status-{s}{{background:{c[s]}}}" for s in ("confirmed", "reported", "claimed", "disputed"))
        return (f'<!DOCTYPE html>\n<html lang="{e(sheet.language)}"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{e(sheet.title.text)}</title><style>{style}</style></head><body>"
                f"<header>{head}</header><main>{''.join(self.parts)}</main>"
                f"<footer><p>{e(sheet.organisation)} · {e(sheet.edition)}</p><p>{e(self.marking)}</p></footer>"
                "</body></html>\n")


# Readable from a 320 px phone to a desktop; every colour pair meets WCAG 2.2 AA (4.5:1) on white.
STYLE = (
    "html{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','Noto Sans KR',sans-serif;color:{ink};"
    "background:#fff;line-height:1.5}body{margin:0 auto;max-width:46rem;padding:1rem}"
    "h1{color:{accent};font-size:1.7rem;line-height:1.2;margin:.2rem 0}h2{color:{accent};font-size:1.2rem;"
    "margin:1.6rem 0 .4rem;border-bottom:1px solid {rule}}h3{font-size:1rem;margin:1rem 0 .3rem}"
    ".meta,.who,figcaption,footer{color:{muted}}.meta{margin:0;font-size:.9rem}"
    ".notice{border:1px solid {claimed};color:{claimed};padding:.4rem .6rem}"
    "ul.facts,ol.timeline,ol.sources{padding-left:1.2rem}ul.facts li{margin:.4rem 0}"
    ".status{color:#fff;font-size:.75rem;padding:.05rem .35rem;border-radius:3px;text-transform:uppercase;"
    "white-space:nowrap}.change{color:{accent};text-transform:uppercase;font-size:.8rem}"
    ":lang(ko){word-break:keep-all}th[scope=row]{min-width:6.5rem}"
    "table{border-collapse:collapse;width:100%;margin:.3rem 0}th,td{text-align:left;vertical-align:top;"
    "padding:.3rem .4rem;border-bottom:1px solid {rule}}thead th{font-size:.85rem;color:{muted}}"
    ".meaning{background:{box};padding:.5rem .7rem}figure{margin:.4rem 0}svg{max-width:100%;height:auto}"
    "dl.legend{display:grid;grid-template-columns:max-content 1fr;gap:.3rem .6rem}dl.legend dd{margin:0}"
    "a{color:{accent}}sup a{text-decoration:none;padding:0 .1rem}footer{margin-top:2rem;font-size:.85rem;"
    "border-top:1px solid {rule}}"
    "@media (max-width:30rem){body{padding:.6rem}th,td{padding:.25rem}}"
    "@media print{body{max-width:none;font-size:10.5pt}a{color:inherit;text-decoration:none}"
    "h2{break-after:avoid}table,figure,li{break-inside:avoid}.status{border:1px solid #000}}"
)


def render_html(sheet: ResolvedSheet, colours: dict, marking: str) -> bytes:
    """One sheet in one language as a self-contained HTML page; the same sheet gives the same bytes."""
    return Page(sheet, colours, marking).render().encode("utf-8")
