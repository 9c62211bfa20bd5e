"""The body of a briefing message: what the PDF says first, as honestly, in HTML and in plain text.

Every statement keeps its status and who says so; a disputed figure is marked
disputed, not shown as two facts that contradict each other; two quantities in a
contrast are said to be different quantities; a text shown in the source language
for want of a translation carries †, and the notices the PDF prints are printed
here too. Every string from the records is escaped before it reaches HTML.

The HTML is a table layout with inline styles, the form mail clients keep
(Gmail drops <style> blocks in some views, Outlook lays out with Word). Its
colours are the template's, so a badge looks as it does in the PDF.
"""

from __future__ import annotations

from html import escape

from ..resolve import RText, ResolvedSheet
from ..web import marked

FONT = "font-family:Arial,Helvetica,sans-serif"


def dagger(text: RText) -> str:
    """The text, with † when it is shown in the source language because no current translation exists."""
    return text.text + (" †" if text.fallback else "")


class Body:
    """One message body, built sheet by sheet into a plain-text and an HTML part."""

    def __init__(self, colours: dict, language: str, source_language: str = "en") -> None:
        self.colours = colours
        self.language = language
        self.source = source_language  # a text shown in it for want of a translation is marked (web.marked)
        self.text: list[str] = []
        self.html: list[str] = []

    def paragraph(self, text: str, style: str = "") -> None:
        """A paragraph of running text."""
        self.text += [text, ""]
        self.html.append(f'<p style="margin:0 0 12px;{style}">{escape(text)}</p>')

    def badge(self, status: str, label: str) -> str:
        """A status as the PDF shows it: a coloured box with the word, which a reader of plain text gets in brackets."""
        return (f'<span style="background:{self.colours[status]};color:#ffffff;{FONT};font-size:11px;font-weight:bold;'
                f'padding:1px 6px;border-radius:3px;white-space:nowrap">{escape(label.upper())}</span>')

    def sheet(self, resolved: ResolvedSheet, note: str | None, attached: str) -> None:
        """One attached sheet: title, edition, notices, changes, the bottom line, key numbers, contrasts, corrections."""
        labels = resolved.labels
        dated = " · ".join(filter(None, (labels["as_of"].format(date=resolved.as_of), resolved.edition)))
        self.text += [dagger(resolved.title), dated, ""]
        self.html.append(f'<h2 style="{FONT};font-size:20px;color:{self.colours["accent"]};margin:24px 0 4px">'
                         f'{marked(resolved.title, self.source)}</h2><p style="margin:0 0 12px;color:{self.colours["muted"]};'
                         f'font-size:13px">{escape(dated)}</p>')
        for notice in ([note] if note else []) + list(resolved.notices):
            self.text += [f"[{notice}]", ""]
            self.html.append(f'<p style="margin:0 0 12px;padding:6px 8px;border:1px solid {self.colours["claimed"]};'
                             f'color:{self.colours["claimed"]};font-size:13px">{escape(notice)}</p>')
        if resolved.changes:
            self._list(resolved.changes.heading, [escape(line) for line in resolved.changes.lines],
                       resolved.changes.lines)
        self._bottom_line(resolved)
        self._key_numbers(resolved)
        for contrast in resolved.contrasts:
            self._contrast(resolved, contrast)
        if resolved.corrections:
            self._list(labels["corrections"],
                       [f"<strong>{escape(c.label)}</strong>: {marked(c.subject, self.source)}<br>"
                        f'<span style="color:{self.colours["muted"]}">{marked(c.note, self.source)}</span>'
                        for c in resolved.corrections],
                       [f"{c.label}: {dagger(c.subject)} — {dagger(c.note)}" for c in resolved.corrections])
        self.paragraph(attached, f"color:{self.colours['muted']};font-size:13px")

    def _heading(self, text: str, label: bool = True) -> None:
        """A block's heading: a label in capitals, as the PDF's panels have, or a title as written."""
        shown = text.upper() if label else text
        self.text += [shown]
        style = "font-size:13px;letter-spacing:0.04em" if label else "font-size:16px"
        self.html.append(f'<h3 style="{FONT};{style};color:{self.colours["muted" if label else "ink"]};margin:16px 0 6px">'
                         f'{escape(shown)}</h3>')

    def _list(self, heading: str, markup: list[str], lines: list[str]) -> None:
        self._heading(heading)
        self.text += [f"- {line}" for line in lines] + [""]
        self.html.append('<ul style="margin:0 0 12px;padding-left:20px">'
                         + "".join(f'<li style="margin:0 0 4px">{item}</li>' for item in markup) + "</ul>")

    def _row(self, status: str, label: str, markup: str, line: str) -> None:
        """A statement with its badge in the first column: the layout of the PDF's panel."""
        self.text.append(f"[{label.upper()}] {line}")
        self.html.append(f'<tr><td style="vertical-align:top;padding:4px 8px 4px 0;width:1%">{self.badge(status, label)}'
                         f'</td><td style="vertical-align:top;padding:4px 0;font-size:15px;line-height:1.4">{markup}</td></tr>')

    def _table(self) -> None:
        self.html.append('<table role="presentation" cellpadding="0" cellspacing="0" border="0" '
                         'style="width:100%;border-collapse:collapse;margin:0 0 12px">')

    def _bottom_line(self, resolved: ResolvedSheet) -> None:
        labels = resolved.labels
        self._heading(labels["bottom_line"])
        if not resolved.bottom_line:
            self.paragraph(dagger(resolved.summary))
            return
        self._table()
        for fact in resolved.bottom_line:
            who = labels["according_to"].format(who=fact.attribution)
            mark = self._mark(resolved, fact.change)
            self._row(fact.status, fact.status_label,
                      f'{mark[0]}{marked(fact.text, self.source)} <span style="color:{self.colours["muted"]}">{escape(who)}</span>',
                      f"{mark[1]}{dagger(fact.text)} {who}")
        self.html.append("</table>")
        self.text.append("")

    def _claims(self, resolved: ResolvedSheet, figure) -> None:
        labels = resolved.labels
        label = dagger(figure.label)
        if figure.disputed:  # its claims disagree: said in words, never left to look like two facts
            label = f"{label} ({labels['status_disputed']})"
        for claim in figure.claims:
            who = labels["according_to"].format(who=claim.attribution)
            value = claim.value_text + (" †" if figure.unit.fallback else "")
            mark = self._mark(resolved, claim.change)
            self._row(claim.status, claim.status_label,
                      f'{mark[0]}<strong>{escape(value)}</strong> · {escape(label)}<br><span style="color:'
                      f'{self.colours["muted"]};font-size:13px">{escape(who)}, {escape(claim.as_of)}</span>',
                      f"{mark[1]}{value} · {label}; {who}, {claim.as_of}")

    def _mark(self, resolved: ResolvedSheet, change: str | None) -> tuple[str, str]:
        """NEW or UPDATED before a record changed since the previous edition, as the PDF marks it; HTML and text."""
        if not change:
            return "", ""
        word = resolved.labels[change].upper()
        return f'<strong style="color:{self.colours["accent"]}">{escape(word)}</strong> ', f"{word} "

    def _key_numbers(self, resolved: ResolvedSheet) -> None:
        figures = [figure for figure in resolved.figures if figure.key]
        if not figures:
            return
        self._heading(resolved.labels["key_numbers"])
        self._table()
        for figure in figures:
            self._claims(resolved, figure)
        self.html.append("</table>")
        self.text.append("")

    def _contrast(self, resolved: ResolvedSheet, contrast) -> None:
        """Two quantities side by side, never as rival estimates of one number, and what the contrast means."""
        self._heading(dagger(contrast.title), label=False)
        self._table()
        for side in contrast.sides:
            self._claims(resolved, side)
        self.html.append("</table>")
        note = f"{resolved.labels['contrast_note']}. {dagger(contrast.meaning)}"
        self.text += [note, ""]
        self.html.append(f'<p style="margin:0 0 12px;padding:8px;background:{self.colours["box"]};font-size:14px">'
                         f'<em>{escape(resolved.labels["contrast_note"])}.</em> {marked(contrast.meaning, self.source)}</p>')

    def page(self) -> str:
        """The HTML part: one centred column, light background set explicitly so dark mode keeps it readable."""
        return (f'<!DOCTYPE html><html lang="{escape(self.language)}"><head><meta charset="utf-8">'
                '<meta name="color-scheme" content="light"><meta name="supported-color-schemes" content="light">'
                '</head><body style="margin:0;padding:0;background:#f4f6f8">'
                '<table role="presentation" cellpadding="0" cellspacing="0" border="0" width="100%" '
                'style="background:#f4f6f8"><tr><td align="center" style="padding:16px 8px">'
                '<table role="presentation" cellpadding="0" cellspacing="0" border="0" width="600" '
                f'style="max-width:600px;width:100%;background:#ffffff;color:{self.colours["ink"]};{FONT};font-size:15px;'
                f'line-height:1.45"><tr><td style="padding:20px 24px">{"".join(self.html)}</td></tr></table>'
                '</td></tr></table></body></html>\n')
