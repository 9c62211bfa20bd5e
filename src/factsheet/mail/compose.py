"""Compose one message per recipient, in the recipient's language, from what `build` wrote."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP, EmailPolicy
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote

from babel import Locale

from .. import model as m
from ..builder import output_name
from ..editions import as_edition, editions, since
from ..i18n import format_partial_date, translator
from ..resolve import date_locale, typography_for
from ..languages import locale_id
from ..resolve import organisation_name, resolve_sheet
from ..templates import load_template
from .body import Body
from .config import MailSettings
from .headers import check_header_value
from .recipients import Recipient


class _Unfolded(EmailPolicy):
    """SMTP's policy, except that the subject and the unsubscribe link are each kept on one line.

    Python's header folding drops the space at a fold between two encoded words, so a
    Korean subject arrived as "브리핑1건" for "브리핑 1건", and it breaks a long link
    before its "<". One line (up to 998 characters, as RFC 5322 allows) keeps both whole.
    """

    WHOLE = ("subject", "list-unsubscribe")

    def _fold(self, name, value, *args, **kwargs):
        if name.lower() in self.WHOLE:
            return EmailPolicy._fold(self.clone(max_line_length=998), name, value, *args, **kwargs)
        return super()._fold(name, value, *args, **kwargs)


POLICY = _Unfolded() + SMTP


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
    edition: int = 0  # the edition the PDF is, from the manifest
    published: bool = False  # False for a draft, which is never sent


@dataclass(frozen=True)
class Delivery:
    """Everything needed to send one recipient their briefings, and to recognise it next time."""

    recipient: Recipient
    language: str
    attachments: tuple
    key: str
    message_id: str
    problems: tuple = field(default=())
    received: dict = field(default_factory=dict)  # sheet -> the edition this reader last received of it (absent: never)


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
                entry = manifest[name]
                chosen.append(Attachment(sheet_id, language, name, entry["sha256"], recipient.asked or recipient.languages[0],
                                         entry.get("edition", 0), entry.get("published", False)))
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


def plan_delivery(project: m.Project, recipient: Recipient, manifest: dict, mail: MailSettings,
                  received: dict | None = None) -> Delivery:
    """Which PDFs a recipient gets, the delivery key and a deterministic Message-ID.

    Only sheets whose edition is newer than the one `received` says the reader last got are
    attached: one message per change, carrying only what changed.
    """
    received = received or {}
    attachments, missing = choose_attachments(project, recipient, manifest)
    due = [item for item in attachments if item.edition > received.get(item.sheet, 0) or not item.edition]
    key = delivery_key(recipient.address, due)
    domain = mail.from_address.rpartition("@")[2]
    problems = tuple(f"{name} has not been built" for name in missing)
    return Delivery(recipient, recipient.languages[0], tuple(due), key, f"<{key}@{domain}>", problems,
                    {item.sheet: received[item.sheet] for item in due if item.sheet in received})


def _language_name(code: str, in_language: str) -> str:
    return Locale.parse(locale_id(code)).get_display_name(Locale.parse(locale_id(in_language))) or code


def unsubscribe_link(template: str, address: str, secret: str | None) -> str:
    """The reader's own unsubscribe link: the settings' https URL or mailto address with a token for this reader.

    The token is an HMAC of the address with FACTSHEET_UNSUBSCRIBE_SECRET, which the desk's
    unsubscribe page checks; a mailto link without a secret names the address itself, which is
    the reader's to give.
    """
    token = hmac.new(secret.encode(), address.lower().encode(), hashlib.sha256).hexdigest()[:32] if secret else None
    if template.startswith("https://"):
        if "{token}" in template:
            return template.replace("{token}", token)
        return f"{template}{'&' if '?' in template else '?'}token={token}"
    return f"{template}?subject={quote('unsubscribe ' + (token or address))}"


def compose(project: m.Project, delivery: Delivery, mail: MailSettings, out_dir: Path, now: dt.datetime,
            memo: dict | None = None, unsubscribe_secret: str | None = None) -> EmailMessage:
    """The message for one delivery: subject and bodies in the recipient's language, PDFs attached.

    `memo` keeps resolved sheets and PDF bytes across the messages of one run.
    """
    memo = {} if memo is None else memo
    recipient = delivery.recipient
    t = translator(delivery.language, project.locale_dirs)
    sheets = []
    for item in delivery.attachments:
        if ("editions", item.sheet) not in memo:  # read once per run, not once per reader
            memo["editions", item.sheet] = {e.number: e for e in editions(project.root, item.sheet)}
        recorded = memo["editions", item.sheet]
        if ("sheet", item.sheet, item.language) not in memo:  # as its PDF has it: edition line, changes, marks
            resolved = resolve_sheet(project, project.sheets[item.sheet], item.language)
            memo["sheet", item.sheet, item.language] = as_edition(project, resolved, list(recorded.values()))
        key = ("sheet", item.sheet, item.language, delivery.received.get(item.sheet))
        if key not in memo:  # what changed since the edition a reader last received, once per such edition
            last = recorded.get(delivery.received.get(item.sheet))
            memo[key] = since(project, memo[key[:3]], last) if last else memo[key[:3]]
        sheets.append((item, memo[key]))
    updated = bool(delivery.received)
    if "colours" not in memo:
        memo["colours"] = load_template(project.root / "templates", project.settings.template,
                                        project.readable_roots()).colours
    latest = max((project.sheets[item.sheet].as_of for item in delivery.attachments), default=None)
    titles = "; ".join(resolved.title.text for _, resolved in sheets)
    date = format_partial_date(latest, date_locale(typography_for(project, delivery.language), t)) if latest else ""
    body = Body(memo["colours"], delivery.language, project.settings.source_language)
    body.paragraph(t.gettext("Hello {name},", name=recipient.name))
    if updated:
        subject = t.ngettext("Updated briefing as of {date}: {titles}", "{n} updated briefings as of {date}: {titles}",
                             len(sheets), date=date, titles=titles)
        body.paragraph(t.ngettext("Here is the updated briefing: what changed since you last received it is listed "
                                  "first, and the changed statements are marked.",
                                  "Here are {n} updated briefings: what changed since you last received each is "
                                  "listed first, and the changed statements are marked.", len(sheets)))
    else:
        subject = t.ngettext("Briefing as of {date}: {titles}", "{n} briefings as of {date}: {titles}", len(sheets),
                             date=date, titles=titles)
        body.paragraph(t.ngettext("Here is the latest briefing.", "Here are the latest {n} briefings.", len(sheets)))
    for item, resolved in sheets:
        note = None
        if item.language != item.wanted:
            note = t.gettext("This briefing is not available in {wanted}; it is attached in {language}.",
                             wanted=_language_name(item.wanted, t.language),
                             language=_language_name(item.language, t.language))
        body.sheet(resolved, note, t.gettext("Attached: {file}", file=item.file))
    body.paragraph(f"-- {organisation_name(project, delivery.language)}")
    unsubscribe = unsubscribe_link(mail.list_unsubscribe, recipient.address, unsubscribe_secret) \
        if mail.list_unsubscribe else None
    if unsubscribe:
        body.paragraph(t.gettext("To stop receiving these briefings: {link}", link=unsubscribe), "font-size:12px")

    message = EmailMessage(policy=POLICY)
    headers = {
        "From": Address(display_name=mail.from_name, addr_spec=mail.from_address),
        # By its parts: Python refuses to parse a local part in another script, which SMTPUTF8 carries.
        "To": Address(display_name=recipient.name, username=recipient.address.rpartition("@")[0],
                      domain=recipient.address.rpartition("@")[2]),
        "Subject": subject,
        "Date": format_datetime(now),
        "Message-ID": delivery.message_id,
    }
    if mail.reply_to:
        headers["Reply-To"] = mail.reply_to
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        if unsubscribe.startswith("https://"):  # RFC 8058: the mailbox provider may unsubscribe with one POST
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for name, value in headers.items():
        for part in (value.display_name, value.addr_spec) if isinstance(value, Address) else (value,):
            check_header_value(str(part), f"the {name} header")
        message[name] = value
    message.set_content("\n".join(body.text).rstrip("\n") + "\n")
    message.add_alternative(body.page(), subtype="html")
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
