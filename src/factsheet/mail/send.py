"""`send`: every recipient gets their briefings exactly once, recorded in the ledger."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Collection

from .. import model as m
from ..checks import ValidProject
from ..errors import (EXIT_ENVIRONMENT, EXIT_OK, EXIT_PROBLEMS, EXIT_REFUSED, EXIT_STOPPED, EnvironmentProblem, FactsheetError, InputError,
                      RequestError, printable)
from ..problems import Problems
from ..builder import BuildFailed, atomic_write, out_of_date
from .compose import AttachmentChanged, Delivery, compose, plan_delivery
from .config import MailSettings, SmtpSettings
from .headers import UnsafeHeader
from .ledger import SENT, UNKNOWN, Ledger
from .recipients import Recipient, load_suppression
from .transport import (OutboxTransport, PermanentFailure, ServerGone, SmtpTransport, TransientFailure, Transport,
                        TransportError)

LEDGER = "ledger.jsonl"
LOCK = "send.lock"
NOT_ATTEMPTED = "not attempted"
SUPPRESSED = "suppressed"  # on the suppression list (mail.suppression): never sent to
DEFERRED = "deferred"  # the server answered "try later" (4xx); tried again after mail.retry_after_minutes
LATER = "the server asked to try later; to be tried again at"
RUNS = "runs"  # out/mail/runs/<time>.json: one report per run


class SendRefused(FactsheetError):
    """Nothing was sent: the PDFs are missing or out of date, or the settings are incomplete."""

    exit_code = EXIT_REFUSED

    def __init__(self, message: str) -> None:
        super().__init__(f"Nothing sent: {message}")


class ServerUnavailable(SendRefused, EnvironmentProblem):
    """Nothing was sent: the mail server cannot be reached or refused the session."""

    exit_code = EXIT_ENVIRONMENT


class AnotherSend(SendRefused):
    """Nothing was sent: another `send` is running on the same output folder."""




@dataclass
class Outcome:
    """What happened to one recipient's message."""

    address: str
    state: str  # sent | skipped | failed | unknown | written | none
    detail: str = ""


@dataclass
class SendReport:
    """Every recipient's outcome, and the counts the summary line gives."""

    outcomes: list = field(default_factory=list)
    connections: int = 0
    mail_dir: Path | None = None
    stopped: str = ""  # why the run stopped early (the server went away), or ""
    report_path: Path | None = None

    def count(self, state: str) -> int:
        """How many recipients ended in `state`."""
        return sum(1 for o in self.outcomes if o.state == state)

    def summary(self) -> str:
        """One line: sent, skipped, failed, unknown, and not attempted when the run stopped."""
        line = (f"Sent {self.count('sent')}, skipped {self.count('skipped')} (already sent), "
                f"failed {self.count('failed')}, unknown {self.count('unknown')}.")
        if self.count(DEFERRED):
            line += f" Deferred {self.count(DEFERRED)} (the server asked to try later)."
        if self.stopped:
            line += f" Stopped early, {self.count(NOT_ATTEMPTED)} not attempted: {self.stopped}"
        return line

    def exit_code(self) -> int:
        """0 all delivered (or already), 1 some failed or unknown, 4 stopped early (see README, Sending)."""
        if self.stopped:
            return EXIT_STOPPED
        return EXIT_PROBLEMS if self.count("failed") or self.count("unknown") or self.count(DEFERRED) else EXIT_OK

    def to_json(self, started: dt.datetime, dry_run: bool) -> dict:
        """The run as a report: when, every recipient's outcome, the counts and why it stopped."""
        states = ("sent", "skipped", "failed", "unknown", DEFERRED, NOT_ATTEMPTED, SUPPRESSED, "written", "none")
        return {"started": started.isoformat(), "dry_run": dry_run, "stopped": self.stopped or None,
                "connections": self.connections, "counts": {state: self.count(state) for state in states},
                "outcomes": [{"address": o.address, "state": o.state, "detail": o.detail} for o in self.outcomes]}


def verify_outputs(valid: ValidProject, out_dir: Path, templates: set[str]) -> dict:
    """The manifest, after checking with the build's own test that every PDF of these templates is up to date."""
    try:
        manifest, stale = out_of_date(valid, templates, out_dir)
    except BuildFailed as exc:
        raise SendRefused(f"a template has problems: {printable(exc.problems[0].message)}") from None
    if stale:
        shown = "; ".join(stale[:5]) + (f"; and {len(stale) - 5} more" if len(stale) > 5 else "")
        raise SendRefused(f"refusing to send: {shown}. Run 'factsheet build' first")
    return manifest


@contextlib.contextmanager
def exclusive(mail_dir: Path):
    """Hold out/mail/send.lock for the run; a second `send` on the same output refuses and names this one.

    The lock is the operating system's (flock), so it is released however the run ends.
    """
    mail_dir.mkdir(parents=True, exist_ok=True)
    handle = (mail_dir / LOCK).open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = printable(handle.read().strip()[:200]) or "another process"
            raise AnotherSend(f"another send is running on {mail_dir.parent} ({holder}): wait for it to end, "
                              "then run send again (it sends only what is still due)") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}, started {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%S} UTC\n")
        handle.flush()
        yield
    finally:
        handle.close()


def send(valid: ValidProject, recipients: list[Recipient], *, out_dir: Path | None = None,
         smtp: SmtpSettings | None = None, dry_run: bool = False, resend: bool | Collection[str] = False,
         sheets: list[str] | None = None, now: dt.datetime, rate: float | None = None,
         sleep: Callable[[float], None] = time.sleep, retries: int = 3, backoff: float = 1.0,
         progress: Callable[[Outcome], None] | None = None, unsubscribe_secret: str | None = None,
         transport: Transport | None = None) -> SendReport:
    """Send (or, with dry_run, write as .eml) one message per recipient of a checked project; the ledger makes it exactly once.

    A reader gets the sheets whose published edition is newer than the one they last
    received. `resend` (True, or some addresses) sends those readers everything again.
    `transport` is the channel (default: SMTP with `smtp`, or the outbox for a dry run).
    """
    if not isinstance(valid, ValidProject):
        raise TypeError("send() takes a ValidProject: pass factsheet.validated(load_project(root))")
    project = valid.project
    mail: MailSettings | None = project.settings.mail
    if mail is None:
        raise SendRefused("settings.yaml has no 'mail' section: add from_name and from_address (see README, Sending)")
    if not dry_run and smtp is None and transport is None:
        raise SendRefused("no SMTP server configured: set FACTSHEET_SMTP_HOST (see README, Sending)")
    out_dir = (out_dir or project.root / "out").resolve()
    unknown_sheets = [s for s in sheets or () if s not in project.sheets]
    if unknown_sheets:
        raise RequestError(f"no sheet named {', '.join(unknown_sheets)} (sheets: {', '.join(project.sheets)})")
    _check_recipients(project, recipients)
    if (mail.list_unsubscribe or "").startswith("https://") and not unsubscribe_secret:
        raise SendRefused("mail.list_unsubscribe is an https address, so each reader's link carries a token: set "
                          "FACTSHEET_UNSUBSCRIBE_SECRET (the key your unsubscribe page checks tokens with)")
    suppressed, bad = load_suppression(project)
    if bad:
        raise InputError(f"Nothing sent: {len(bad)} error(s) in the suppression file.", bad)
    templates = {r.template or project.settings.template for r in recipients}
    manifest = verify_outputs(valid, out_dir, templates)
    mail_dir = out_dir / "mail"
    with exclusive(mail_dir):
        if transport is None:
            transport = OutboxTransport(mail_dir) if dry_run else SmtpTransport(smtp, retries=retries, backoff=backoff,
                                                                                 sleep=sleep)
        run = _Run(project, mail, out_dir, Ledger(mail_dir / LEDGER), transport, dry_run, resend, unsubscribe_secret,
                   SendReport(mail_dir=mail_dir))
        _send_all(run, [r for r in recipients if r.address.lower() not in suppressed], manifest, sheets, now, rate, sleep,
                  progress)
    report = run.report
    report.outcomes[:0] = [Outcome(r.address, SUPPRESSED, "on the suppression list") for r in recipients
                           if r.address.lower() in suppressed]
    runs = mail_dir / RUNS
    runs.mkdir(parents=True, exist_ok=True)
    report.report_path = runs / f"{now:%Y%m%dT%H%M%S}Z-{os.getpid()}.json"
    atomic_write(report.report_path, (json.dumps(report.to_json(now, dry_run), indent=2, ensure_ascii=False)
                                      + "\n").encode())
    return report


def _send_all(run: "_Run", recipients, manifest, sheets, now, rate, sleep, progress) -> None:
    """The run itself, under the lock: one delivery after another, until all are done or the server goes away."""
    ledger, report = run.ledger, run.report
    chosen = [_restricted(r, sheets) for r in recipients]
    for reader in chosen:
        if reader.sheets == ():  # reads none of the sheets this run was asked to send
            report.outcomes.append(Outcome(reader.address, "none", "reads none of the sheets asked for"))
    # Each reader gets only the sheets whose edition is newer than the one they last received.
    deliveries = [plan_delivery(run.project, r, manifest, run.mail, {} if run.resending(r.address) else
                                ledger.editions(r.address, SENT)) for r in chosen if r.sheets != ()]
    drafts = sorted({item.file for d in deliveries for item in d.attachments if not item.published})
    if drafts and not run.dry_run:  # a dry run may preview a draft: its PDFs say so on every page
        shown = ", ".join(drafts[:5]) + (f" and {len(drafts) - 5} more" if len(drafts) > 5 else "")
        raise SendRefused(f"{shown} {'is' if len(drafts) == 1 else 'are'} not published (a draft of the next edition): "
                          "run 'factsheet publish', then 'factsheet build', then send again")
    due = [d for d in deliveries if d.attachments and (run.resending(d.recipient.address)
                                                       or _blocked(ledger, d, now) is None)]
    if due:
        try:
            run.transport.open()  # before any intent is recorded: a server we cannot or must not use gets nothing
        except (TransportError, TransientFailure) as exc:
            ledger.close()
            raise ServerUnavailable(str(exc)) from None
    started = time.monotonic()
    clock = lambda: now + dt.timedelta(seconds=time.monotonic() - started)  # noqa: E731 (each message dated when made)
    try:
        for index, delivery in enumerate(deliveries, 1):
            if report.stopped:
                report.outcomes.append(Outcome(delivery.recipient.address, NOT_ATTEMPTED, "the run stopped before it"))
                continue
            outcome = run.attempt(delivery, clock())
            report.outcomes.append(outcome)
            if progress:
                progress(outcome)
            if outcome.state == "sent" and rate and index < len(deliveries):
                sleep(60.0 / rate)
        deferred = [i for i, o in enumerate(report.outcomes) if o.state == DEFERRED and o.detail.startswith(LATER)]
        if deferred and not report.stopped:
            # Greylisting: a server that answered "try later" is tried once more after the wait it needs.
            sleep(run.mail.retry_after_minutes * 60.0)
            by_address = {d.recipient.address: d for d in deliveries}
            for position in deferred:
                delivery = by_address[report.outcomes[position].address]
                moment = max(clock(), ledger.retry_at(delivery.key) or clock())  # the wait is over
                report.outcomes[position] = run.attempt(delivery, moment)
    finally:
        ledger.close()
        report.connections = run.transport.connections
        run.transport.close()


def settle(valid: ValidProject, verdicts: dict, out_dir: Path | None = None) -> list[str]:
    """Record what the desk found out about deliveries whose outcome was unknown, by address.

    True: the message arrived, so it counts as sent. False: it did not, so what it
    carried is due again at the next run. Returns one line per delivery settled.
    """
    if not isinstance(valid, ValidProject):
        raise TypeError("settle() takes a ValidProject: pass factsheet.validated(load_project(root))")
    mail_dir = (out_dir or valid.project.root / "out").resolve() / "mail"
    with exclusive(mail_dir):
        ledger = Ledger(mail_dir / LEDGER)
        try:
            missing = [address for address in verdicts if not ledger.unknown(address)]
            if missing:
                raise RequestError(f"no delivery to {', '.join(missing)} has an unknown outcome: nothing to settle")
            settled = []
            for address, arrived in verdicts.items():
                for key in ledger.unknown(address):
                    if arrived:
                        ledger.record(key, "sent", recipient=address, reply="settled by the desk: it arrived")
                    else:
                        ledger.record(key, "resend", recipient=address)
                    settled.append(f"{address}: {'counted as sent' if arrived else 'due again at the next send'}")
        finally:
            ledger.close()
    return settled


def _check_recipients(project: m.Project, recipients: list[Recipient]) -> None:
    """Refuse recipients that name sheets, languages or templates the project does not have (load_recipients reports these too)."""
    problems = Problems()
    for recipient in recipients:
        for sheet in recipient.sheets or ():
            if sheet not in project.sheets:
                problems.error(recipient.loc, "unknown-sheet", f"recipient {recipient.address}: no sheet '{sheet}' "
                                                               f"(sheets: {', '.join(project.sheets)})")
        unknown = [code for code in recipient.languages if code not in project.settings.all_languages]
        if unknown or not recipient.languages:
            problems.error(recipient.loc, "unknown-language", f"recipient {recipient.address}: languages "
                                                              f"{', '.join(recipient.languages) or 'none'} are not all "
                                                              f"published ({', '.join(project.settings.all_languages)})")
    if problems.items:
        raise InputError(f"Nothing sent: {len(problems.items)} error(s) in the recipients.", problems.items)


def _restricted(recipient: Recipient, sheets: list[str] | None) -> Recipient:
    if not sheets:
        return recipient
    wanted = [s for s in (recipient.sheets or sheets) if s in sheets]
    return Recipient(recipient.name, recipient.address, recipient.languages, tuple(wanted), recipient.loc, recipient.template,
                     recipient.asked)


def _blocked(ledger: Ledger, delivery: Delivery, now: dt.datetime) -> Outcome | None:
    """Why a delivery must not go now, from the ledger: already sent, or an earlier hand-over whose outcome is unknown."""
    address = delivery.recipient.address
    if ledger.state(delivery.key) == SENT:
        return Outcome(address, "skipped", "already sent")
    retry_at = ledger.retry_at(delivery.key)
    if retry_at is not None and retry_at > now:
        return Outcome(address, DEFERRED, f"the server asked to try later; not before {retry_at:%Y-%m-%d %H:%M} UTC")
    pending = ledger.editions(address, UNKNOWN)
    if ledger.state(delivery.key) == UNKNOWN or any(item.edition <= pending.get(item.sheet, 0)
                                                     for item in delivery.attachments):
        return Outcome(address, "unknown", "an earlier run handed a message over but did not hear the reply; check "
                                           f"the mailbox, then run send --settle {address}=sent (it arrived) or "
                                           f"--settle {address}=unsent (send it again)")
    return None


@dataclass
class _Run:
    """What every delivery of one run shares: the project, the ledger, the channel and what was asked."""

    project: m.Project
    mail: MailSettings
    out_dir: Path
    ledger: Ledger
    transport: Transport
    dry_run: bool
    resend: bool | Collection[str]  # True: everyone; or these addresses
    secret: str | None  # FACTSHEET_UNSUBSCRIBE_SECRET
    report: SendReport
    memo: dict = field(default_factory=dict)  # resolved sheets and PDF bytes, shared by every message of the run

    def resending(self, address: str) -> bool:
        """True when this run sends to `address` again whatever the ledger says (--resend all, or --resend ADDRESS)."""
        resend = self.resend
        return resend is True or (not isinstance(resend, bool) and address.lower() in {a.lower() for a in resend})

    def attempt(self, delivery: Delivery, now: dt.datetime) -> Outcome:
        """One delivery; when the server goes away, the report says the run stopped and why."""
        try:
            return self.deliver(delivery, now)
        except ServerGone as exc:
            self.report.stopped = str(exc)
            return Outcome(delivery.recipient.address, "failed", str(exc))

    def deliver(self, delivery: Delivery, now: dt.datetime) -> Outcome:
        """Compose one message and hand it over, recording intent before and outcome after in the ledger."""
        address, ledger = delivery.recipient.address, self.ledger
        if not delivery.attachments:
            if delivery.problems:
                return Outcome(address, "failed", "no built PDF for this recipient: " + "; ".join(delivery.problems))
            return Outcome(address, "skipped", "up to date: has the latest edition of every sheet")
        if not self.resending(address) and not self.dry_run:
            blocked = _blocked(ledger, delivery, now)
            if blocked is not None:
                return blocked
        try:
            message = compose(self.project, delivery, self.mail, self.out_dir, now, self.memo, self.secret)
        except UnsafeHeader as exc:
            return Outcome(address, "failed", str(exc))
        except AttachmentChanged as exc:  # nothing recorded: the reader stays due for the next run
            return Outcome(address, "failed", str(exc))
        if not self.transport.delivers:  # a preview: nothing reaches the reader, so the ledger records nothing
            return Outcome(address, "written", self.transport.send(message, address))
        files = {item.file: item.sha256 for item in delivery.attachments}
        editions = {item.sheet: item.edition for item in delivery.attachments}
        ledger.record(delivery.key, "intent", recipient=address, message_id=delivery.message_id, files=files,
                      sheets=editions, time=now.isoformat())
        try:
            reply = self.transport.send(message, address)
        except PermanentFailure as exc:
            ledger.record(delivery.key, "failed", recipient=address, code=exc.code, error=str(exc))
            return Outcome(address, "failed", str(exc))
        except ServerGone as exc:
            ledger.record(delivery.key, "failed", recipient=address, error=str(exc))
            raise
        except TransientFailure as exc:  # 4xx after the quick retries: greylisting, or a full mailbox; try again later
            retry_at = now + dt.timedelta(minutes=self.mail.retry_after_minutes)
            ledger.record(delivery.key, "failed", recipient=address, error=str(exc), retry_at=retry_at.isoformat())
            return Outcome(address, DEFERRED, f"{LATER} {retry_at:%Y-%m-%d %H:%M} UTC ({exc})")
        except TransportError as exc:
            ledger.record(delivery.key, "failed", recipient=address, error=str(exc))
            return Outcome(address, "failed", str(exc))
        ledger.record(delivery.key, "sent", recipient=address, reply=reply)
        return Outcome(address, "sent", reply)
