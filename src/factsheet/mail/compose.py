"""Compose one message per recipient, in the recipient's language, from what `build` wrote."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

from babel import Locale

from .. import model as m
from ..builder import output_name
from ..i18n import format_partial_date, translator
from ..resolve import date_locale, typography_for
from ..languages import locale_id
from ..resolve import organisation_name, resolve_sheet
from .config import MailSettings
from .headers import check_header_value
from .recipients import Recipient


class AttachmentChanged(Exception):
    """A PDF no longer has the bytes the manifest named when the run began (a build ran meanwhile)."""


@dataclass(frozen=True)
class Attachment:
    """A built PDF chosen for a recipient."""

    sheet: str
    language: str
    file: str
    sha256: str
    wanted: str  # the recipient's first language; differs from `language` after a fallback


@dataclass(frozen=True)
class Delivery:
    """Everything needed to send one recipient their briefings, and to recognise it next time."""

    recipient: Recipient
    language: str
    attachments: tuple
    key: str
    message_id: str
    problems: tuple = field(default=())


def choose_attachments(project: m.Project, recipient: Recipient, manifest: dict) -> tuple[list[Attachment], list[str]]:
    """For each wanted sheet, the PDF in the first of the recipient's languages that exists; and what is missing."""
    settings = project.settings
    template = recipient.template or settings.template
    chosen, missing = [], []
    for sheet_id in recipient.sheets if recipient.sheets is not None else list(project.sheets):
        sheet = project.sheets[sheet_id]
        candidates = [lang for lang in (*recipient.languages, settings.source_language) if lang in sheet.languages]
        for language in dict.fromkeys(candidates):
            name = output_name(sheet_id, language, template, settings.template)
            if name in manifest:
                chosen.append(Attachment(sheet_id, language, name, manifest[name]["sha256"], recipient.languages[0]))
                break
        else:
            missing.append(output_name(sheet_id, candidates[0] if candidates else settings.source_language, template,
                                       settings.template))
    return chosen, missing


def delivery_key(address: str, attachments: list[Attachment]) -> str:
    """Same recipient and same PDF content give the same key; any new PDF makes the message due again."""
    digest = hashlib.sha256(address.lower().encode())
    for item in sorted(attachments, key=lambda a: a.file):
        digest.update(f"\0{item.file}\0{item.sha256}".encode())
    return digest.hexdigest()[:24]


def plan_delivery(project: m.Project, recipient: Recipient, manifest: dict, mail: MailSettings) -> Delivery:
    """Which PDFs a recipient gets, the delivery key and a deterministic Message-ID."""
    attachments, missing = choose_attachments(project, recipient, manifest)
    key = delivery_key(recipient.address, attachments)
    domain = mail.from_address.rpartition("@")[2]
    problems = tuple(f"{name} has not been built" for name in missing)
    return Delivery(recipient, recipient.languages[0], tuple(attachments), key, f"<{key}@{domain}>", problems)


def _language_name(code: str, in_language: str) -> str:
    return Locale.parse(locale_id(code)).get_display_name(Locale.parse(locale_id(in_language))) or code


def compose(project: m.Project, delivery: Delivery, mail: MailSettings, out_dir: Path, now: dt.datetime,
            memo: dict | None = None) -> EmailMessage:
    """The message for one delivery: subject and bodies in the recipient's language, PDFs attached.

    `memo` keeps resolved sheets and PDF bytes across the messages of one run.
    """
    memo = {} if memo is None else memo
    recipient = delivery.recipient
    t = translator(delivery.language, project.locale_dirs)
    sheets = []
    for item in delivery.attachments:
        if ("sheet", item.sheet, item.language) not in memo:
            memo["sheet", item.sheet, item.language] = resolve_sheet(project, project.sheets[item.sheet], item.language)
        sheets.append((item, memo["sheet", item.sheet, item.language]))
    latest = max((project.sheets[item.sheet].as_of for item in delivery.attachments), default=None)
    titles = "; ".join(resolved.title.text for _, resolved in sheets)
    subject = t.ngettext("Briefing as of {date}: {titles}", "{n} briefings as of {date}: {titles}", len(sheets),
                         date=format_partial_date(latest, date_locale(typography_for(project, delivery.language), t))
                         if latest else "", titles=titles)
    text_parts, html_parts = [t.gettext("Hello {name},", name=recipient.name), ""], \
        [f"<p>{html.escape(t.gettext('Hello {name},', name=recipient.name))}</p>"]
    intro = t.ngettext("Here is the latest briefing.", "Here are the latest {n} briefings.", len(sheets))
    text_parts += [intro, ""]
    html_parts.append(f"<p>{html.escape(intro)}</p>")
    for item, resolved in sheets:
        block, markup = _sheet_section(item, resolved, t)
        text_parts += block
        html_parts.append(markup)
    desk = organisation_name(project, delivery.language)
    text_parts += ["--", desk]
    html_parts.append(f"<hr><p>{html.escape(desk)}</p>")
    if mail.list_unsubscribe:
        note = t.gettext("To stop receiving these briefings: {link}", link=mail.list_unsubscribe)
        text_parts.append(note)
        html_parts.append(f"<p><small>{html.escape(note)}</small></p>")

    message = EmailMessage(policy=SMTP)
    headers = {
        "From": Address(display_name=mail.from_name, addr_spec=mail.from_address),
        "To": Address(display_name=recipient.name, addr_spec=recipient.address),
        "Subject": subject,
        "Date": format_datetime(now),
        "Message-ID": delivery.message_id,
    }
    if mail.reply_to:
        headers["Reply-To"] = mail.reply_to
    if mail.list_unsubscribe:
        headers["List-Unsubscribe"] = f"<{mail.list_unsubscribe}>"
    for name, value in headers.items():
        for part in (value.display_name, value.addr_spec) if isinstance(value, Address) else (value,):
            check_header_value(str(part), f"the {name} header")
        message[name] = value
    message.set_content("\n".join(text_parts) + "\n")
    message.add_alternative(f"<!DOCTYPE html><html lang=\"{html.escape(delivery.language)}\"><body>"
                            + "".join(html_parts) + "</body></html>\n", subtype="html")
    message.make_mixed()
    for item in delivery.attachments:
        if ("pdf", item.file) not in memo:  # read and encode each PDF once per run, not once per recipient
            data = (out_dir / item.file).read_bytes()
            if hashlib.sha256(data).hexdigest() != item.sha256:  # the body was written from the records it was built from
                raise AttachmentChanged(f"{item.file} changed after this send began (a build ran?): nothing sent to "
                                        "this reader; run send again to send the new version")
            part = MIMEPart(policy=SMTP)
            part.set_content(data, maintype="application", subtype="pdf", disposition="attachment", filename=item.file)
            memo["pdf", item.file] = part
        message.attach(memo["pdf", item.file])
    message["Content-Language"] = delivery.language  # after the body: set_content() clears Content-* headers
    return message


def _sheet_section(item: Attachment, resolved, t) -> tuple[list[str], str]:
    """Plain-text lines and HTML for one attached sheet: title, date, summary, key figures, fallback note."""
    lines = [resolved.title.text, resolved.labels["as_of"].format(date=resolved.as_of), "", resolved.summary.text]
    markup = [f"<h2>{html.escape(resolved.title.text)}</h2>",
              f"<p><em>{html.escape(resolved.labels['as_of'].format(date=resolved.as_of))}</em></p>",
              f"<p>{html.escape(resolved.summary.text)}</p>"]
    if item.language != item.wanted:
        note = t.gettext("This briefing is not available in {wanted}; it is attached in {language}.",
                         wanted=_language_name(item.wanted, t.language), language=_language_name(item.language, t.language))
        lines.insert(0, f"[{note}]")
        markup.insert(0, f"<p><strong>{html.escape(note)}</strong></p>")
    if resolved.corrections:
        lines += ["", resolved.labels["corrections"] + ":"]
        markup.append(f"<h3>{html.escape(resolved.labels['corrections'])}</h3><ul>")
        for entry in resolved.corrections:
            line = f"{entry.label}: {entry.subject.text} — {entry.note.text}"
            lines.append(f"- {line}")
            markup.append(f"<li><strong>{html.escape(entry.label)}</strong>: {html.escape(entry.subject.text)}<br>"
                          f"{html.escape(entry.note.text)}</li>")
        markup.append("</ul>")
    for contrast in resolved.contrasts:
        # Two quantities side by side, never as rival estimates of one number.
        lines += ["", contrast.title.text + ":"]
        markup.append(f"<h3>{html.escape(contrast.title.text)}</h3><ul>")
        for side in contrast.sides:
            for claim in side.claims:
                who = resolved.labels["according_to"].format(who=claim.attribution)
                line = f"{side.label.text}: {claim.value_text} ({who}, {claim.as_of})"
                lines.append(f"- {line}")
                markup.append(f"<li>{html.escape(line)}</li>")
        lines.append(f"{resolved.labels['contrast_note']}. {contrast.meaning.text}")
        markup.append(f"</ul><p><em>{html.escape(resolved.labels['contrast_note'])}.</em> "
                      f"{html.escape(contrast.meaning.text)}</p>")
    figures = [f for f in resolved.figures if f.key]
    if figures:
        lines += ["", resolved.labels["key_figures"] + ":"]
        markup.append(f"<h3>{html.escape(resolved.labels['key_figures'])}</h3><ul>")
        for figure in figures:
            for claim in figure.claims:
                who = resolved.labels["according_to"].format(who=claim.attribution)
                line = f"{figure.label.text}: {claim.value_text} ({who}, {claim.as_of})"
                lines.append(f"- {line}")
                markup.append(f"<li>{html.escape(line)}</li>")
        markup.append("</ul>")
    attached = t.gettext("Attached: {file}", file=item.file)
    lines += ["", attached, "", ""]
    markup.append(f"<p>{html.escape(attached)}</p>")
    return lines, "".join(markup)
