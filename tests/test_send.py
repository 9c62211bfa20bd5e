"""`factsheet send`: one message per reader, in their language, exactly once, to a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import email
import email.policy
import functools
import hashlib
import hmac
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import textwrap
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
import trustme
from click.testing import CliRunner

from conftest import REPO_ROOT
import factsheet.mail.send as send_module
from factsheet.builder import build, read_manifest
from factsheet.cli import cli
from factsheet.mail.compose import plan_delivery
from factsheet.mail.config import SmtpConfigError, smtp_settings
from factsheet.mail.headers import BadAddress, UnsafeHeader, check_address, check_header_value
from factsheet.mail.ledger import Ledger
from factsheet.mail.recipients import load_recipients
from factsheet.mail.send import LEDGER, AnotherSend, SendRefused, exclusive, send, settle
from factsheet.checks import validated
from factsheet.editions import publish
from factsheet.i18n import format_partial_date, translator
from factsheet.project import load_project
from factsheet.resolve import date_locale, resolve_sheet, typography_for
from smtpserver import HOST, Authenticator, Handler, SmtpServer, free_port

NOW = dt.datetime(2025, 7, 1, 9, 30, tzinfo=dt.timezone.utc)
SHEETS = ("kursk-casualties", "kursk-deployment", "treaty-anniversary")
PASSWORD = "Zq7-pelican-Vx93!secret"

RECIPIENTS = """\
recipients:
  - name: 김민지
    address: minji@example.org
    languages: [ko, en]
  - name: Олена Коваль
    address: olena@example.org
    languages: [uk, ru]
    template: card
  - name: Ivan Petrov
    address: ivan@example.org
    languages: [ru]
    sheets: [kursk-casualties]
  - name: Sam Reader
    address: sam@example.org
    languages: [en]
    sheets: [treaty-anniversary]
"""

# What each reader must get: name, first language, attached files.
EXPECTED = {
    "minji@example.org": ("김민지", "ko", [f"{s}.ko.pdf" for s in SHEETS]),
    "olena@example.org": ("Олена Коваль", "uk", [f"{s}.uk.card.pdf" for s in SHEETS]),
    "ivan@example.org": ("Ivan Petrov", "ru", ["kursk-casualties.ru.pdf"]),
    "sam@example.org": ("Sam Reader", "en", ["treaty-anniversary.en.pdf"]),
}
ADDRESSES = list(EXPECTED)
GREETINGS = {"ko": "김민지 님, 안녕하세요.", "uk": "Вітаємо, Олена Коваль!", "ru": "Здравствуйте, Ivan Petrov!",
             "en": "Hello Sam Reader,"}

EDIT_OLD = "For the first time, state media aired footage purportedly showing"
EDIT_NEW = "For the first time, state television aired footage purportedly showing"


# --- fixtures and helpers ------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The shipped project (without its archive) at its published edition 1, built once: every sheet, language and template."""
    root = tmp_path_factory.mktemp("built") / "desk"
    for folder in ("factsheets", "translations", "templates", "editions"):
        shutil.copytree(REPO_ROOT / folder, root / folder)
    build(validated(load_project(root)))
    return root


@pytest.fixture
def root(built: Path, tmp_path: Path) -> Path:
    """This test's own copy of the built project: its own out/ and ledger, and a recipients file."""
    copy = tmp_path / "desk"
    shutil.copytree(built, copy)
    (copy / "recipients.yaml").write_text(RECIPIENTS, encoding="utf-8")
    return copy


@pytest.fixture(autouse=True)
def cli_sleeps(monkeypatch) -> list:
    """The CLI's send sleeps into this list instead of really sleeping (no test waits on the clock)."""
    recorded = []
    monkeypatch.setattr(send_module, "send", functools.partial(send, sleep=recorded.append))
    return recorded


@pytest.fixture
def servers():
    """Start SMTP servers on demand; every one is stopped at the end of the test."""
    started = []

    def start(handler: Handler | None = None, **smtp_kwargs) -> SmtpServer:
        server = SmtpServer(handler, **smtp_kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(servers) -> SmtpServer:
    """A well-behaved server."""
    return servers()


def env_for(port: int, security: str = "none", **extra) -> dict:
    return {"FACTSHEET_SMTP_HOST": HOST, "FACTSHEET_SMTP_PORT": str(port), "FACTSHEET_SMTP_SECURITY": security, **extra}


def recipients_of(root: Path, project=None, text: str | None = None):
    project = project or load_project(root)
    path = root / "recipients.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    recipients, problems = load_recipients(path, project)
    assert [p for p in problems if p.is_error] == []
    return recipients


def run(root: Path, port: int, *, only: list[str] | None = None, security: str = "none", env: dict | None = None,
        sleeps: list | None = None, **options):
    """One library send run against 127.0.0.1:port with a recording no-op sleep."""
    project = load_project(root)
    recipients = recipients_of(root, project)
    if only is not None:
        recipients = [r for r in recipients if r.address in only]
    smtp = smtp_settings(project.settings.mail, env or env_for(port, security))
    return send(validated(project), recipients, smtp=smtp, now=NOW, sleep=(sleeps if sleeps is not None else []).append, **options)


def states(report) -> dict:
    return {outcome.address: outcome.state for outcome in report.outcomes}


def ledger_events(root: Path) -> list[dict]:
    path = root / "out" / "mail" / LEDGER
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def parse(content: bytes):
    return email.message_from_bytes(content, policy=email.policy.default)


def by_address(server: SmtpServer) -> dict:
    """The one message each address received (asserting it is exactly one)."""
    result = {}
    for message in server.messages:
        assert len(message.rcpt_tos) == 1
        assert message.rcpt_tos[0] not in result
        result[message.rcpt_tos[0]] = message
    return result


def attachment_names(message) -> list[str]:
    return sorted(part.get_filename() for part in message.iter_attachments())


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    return "".join(parser.parts)


def edit_fact(root: Path) -> None:
    path = root / "factsheets" / "sheets" / "kursk-deployment.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(EDIT_OLD) == 1
    path.write_text(text.replace(EDIT_OLD, EDIT_NEW), encoding="utf-8")


def invoke(args: list[str], env: dict | None = None):
    """Run the CLI with exactly these FACTSHEET_SMTP_* variables (any others in the environment are removed)."""
    clean = {f"FACTSHEET_SMTP_{name}": None for name in ("HOST", "PORT", "SECURITY", "USER", "PASSWORD", "CAFILE")}
    return CliRunner().invoke(cli, args, env={**clean, **(env or {})})


# --- 1. one message per reader, in their language --------------------------------


def test_each_recipient_gets_one_message_in_their_language(root, server):
    report = run(root, server.port)
    assert states(report) == {address: "sent" for address in ADDRESSES}
    assert server.count_by_address() == Counter(ADDRESSES)

    project = load_project(root)
    mail = project.settings.mail
    intents = {e["recipient"]: e for e in ledger_events(root) if e["event"] == "intent"}
    manifest = read_manifest(root / "out")
    received = by_address(server)
    for address, (name, language, files) in EXPECTED.items():
        envelope = received[address]
        assert envelope.rcpt_tos == (address,)  # one envelope each, never a shared To or Bcc
        assert envelope.mail_from == "briefings@example.org"
        head, _, _ = envelope.content.partition(b"\r\n\r\n")
        head.decode("ascii")  # every header on the wire is ASCII: non-ASCII is RFC 2047 encoded
        message = parse(envelope.content)

        to = message["To"].addresses
        assert [(a.display_name, a.addr_spec) for a in to] == [(name, address)]  # decodes back exactly
        assert message["Cc"] is None and message["Bcc"] is None
        assert message["From"].addresses[0].display_name == mail.from_name == "Factsheet Briefing Desk"
        assert message["From"].addresses[0].addr_spec == mail.from_address == "briefings@example.org"
        assert str(message["Reply-To"]) == "desk@example.org"
        assert str(message["List-Unsubscribe"]) == f"<mailto:unsubscribe@example.org?subject=unsubscribe%20{quote(address)}>"
        assert message["List-Unsubscribe-Post"] is None  # one-click needs an https link
        assert str(message["Content-Language"]) == language
        assert message["Date"].datetime == NOW
        recipient = next(r for r in recipients_of(root, project) if r.address == address)
        expected_id = plan_delivery(project, recipient, manifest, mail).message_id
        assert str(message["Message-ID"]) == expected_id == intents[address]["message_id"]
        assert re.fullmatch(r"<[0-9a-f]{24}@example\.org>", expected_id)

        assert attachment_names(message) == sorted(files)
        for part in message.iter_attachments():
            assert part.get_content_type() == "application/pdf"
            assert part.get_content() == (root / "out" / part.get_filename()).read_bytes()

        plain = message.get_body(("plain",)).get_content()
        rich = html_text(message.get_body(("html",)).get_content())
        subject = str(message["Subject"])
        assert GREETINGS[language] in plain and GREETINGS[language] in rich
        for file in files:
            sheet_id = file.split(".")[0]
            resolved = resolve_sheet(project, project.sheets[sheet_id], language)
            assert resolved.title.text in subject
            for body in (plain, rich):
                assert resolved.title.text in body
                assert file in body
                for fact in resolved.bottom_line:  # the PDF's opening panel: each takeaway with its status
                    assert fact.text.text.replace("\u00a0", " ") in body.replace("\u00a0", " ")
                    assert fact.status_label.upper() in body
            key_claims = [c for f in resolved.figures if f.key for c in f.claims]
            for claim in key_claims:
                for body in (plain, rich):
                    assert claim.value_text in body and claim.status_label.upper() in body
                    assert resolved.labels["according_to"].format(who=claim.attribution) in body


def test_subjects_and_bodies_are_in_each_language(root, server):
    run(root, server.port)
    received = {address: parse(m.content) for address, m in by_address(server).items()}
    project = load_project(root)
    for address, (_, language, files) in EXPECTED.items():
        message = received[address]
        subject, plain = str(message["Subject"]), message.get_body(("plain",)).get_content()
        t = translator(language)
        assert GREETINGS[language] in plain
        for file in files:
            resolved = resolve_sheet(project, project.sheets[file.split(".")[0]], language)
            assert resolved.title.text in subject and resolved.title.text in plain, (address, file)
            assert t.gettext("Attached: {file}", file=file) in plain
            for contrast in resolved.contrasts:  # two quantities, each with its own attribution, and their meaning
                assert contrast.title.text in plain and contrast.meaning.text in plain
                for side in contrast.sides:
                    for claim in side.claims:
                        assert f"[{claim.status_label.upper()}] {claim.value_text} · {side.label.text}" in plain
                        assert resolved.labels["according_to"].format(who=claim.attribution) in plain
                assert resolved.labels["contrast_note"] in plain  # two quantities, said to be two
        if language != "en":
            assert not any(word in plain for word in ("Hello", "Key figures", "According to", "Attached"))
    assert "기준 브리핑" in str(received["minji@example.org"]["Subject"])
    assert "справк" in str(received["ivan@example.org"]["Subject"])
    assert "довідк" in str(received["olena@example.org"]["Subject"])
    assert str(received["sam@example.org"]["Subject"]).startswith("Briefing as of 30 June 2025: ")  # the desk's date style


@pytest.mark.parametrize("name", ['Koval, "Olena" <eve@evil.example>', "Ölçer Ñandú — 李"])
def test_names_with_specials_decode_back_exactly(root, server, name):
    text = f"recipients:\n  - name: '{name}'\n    address: olena@example.org\n    languages: [uk]\n    sheets: [kursk-casualties]\n"
    recipients_of(root, text=text)
    run(root, server.port)
    [message] = server.messages
    assert message.rcpt_tos == ("olena@example.org",)
    to = parse(message.content)["To"].addresses
    assert [(a.display_name, a.addr_spec) for a in to] == [(name, "olena@example.org")]


# --- 2. exactly once, one connection -------------------------------------------------


def test_second_run_sends_nothing_and_one_connection_carries_a_run(root, server):
    first = run(root, server.port)
    assert first.count("sent") == 4
    assert first.connections == 1
    assert server.connections == 1

    second = run(root, server.port)
    assert (second.count("sent"), second.count("skipped"), second.count("failed")) == (0, 4, 0)
    assert second.summary().startswith("Sent 0, skipped 4")
    assert len(server.messages) == 4
    assert server.count_by_address() == Counter(ADDRESSES)
    assert server.connections == 1  # nothing due: no connection at all


def test_cli_send_twice(root, server):
    env = env_for(server.port)
    args = ["send", "-C", str(root), "--recipients", str(root / "recipients.yaml")]
    first = invoke(args, env)
    assert first.exit_code == 0, first.output
    assert "Sent 4, skipped 0 (already sent), failed 0, unknown 0." in first.output
    second = invoke(args, env)
    assert second.exit_code == 0, second.output
    assert "Sent 0, skipped 4 (already sent), failed 0, unknown 0." in second.output
    assert server.count_by_address() == Counter(ADDRESSES)


# --- 3-5. failures and retries ---------------------------------------------------------


def test_temporary_failure_is_retried_with_backoff(root, servers):
    server = servers(Handler(temporary_data_failures=1))
    sleeps = []
    report = run(root, server.port, sleeps=sleeps)
    assert states(report) == {address: "sent" for address in ADDRESSES}
    assert server.count_by_address() == Counter(ADDRESSES)  # the retried message arrived exactly once
    assert server.handler.data_commands == 5
    assert sleeps == [1.0]  # one backoff, then success
    assert report.connections == 1


def test_permanent_refusal_fails_one_recipient_and_the_next_run_retries_only_it(root, servers):
    server = servers(Handler(reject=("ivan@example.org",)))
    sleeps = []
    report = run(root, server.port, sleeps=sleeps)
    assert states(report) == {"minji@example.org": "sent", "olena@example.org": "sent",
                              "ivan@example.org": "failed", "sam@example.org": "sent"}
    assert "550" in next(o.detail for o in report.outcomes if o.address == "ivan@example.org")
    assert sleeps == []  # a 5xx is not retried
    assert server.count_by_address() == Counter(a for a in ADDRESSES if a != "ivan@example.org")
    failed = [e for e in ledger_events(root) if e["event"] == "failed"]
    assert len(failed) == 1
    assert failed[0]["recipient"] == "ivan@example.org" and failed[0]["code"] == 550

    server.handler.reject.clear()
    again = run(root, server.port)
    assert states(again) == {"minji@example.org": "skipped", "olena@example.org": "skipped",
                             "ivan@example.org": "sent", "sam@example.org": "skipped"}
    assert server.count_by_address() == Counter(ADDRESSES)


def test_dropped_connection_is_tried_again_at_the_end_of_the_run_and_delivered_once(root, servers):
    server = servers(Handler(drop_at_data=2))
    sleeps = []
    first = run(root, server.port, retries=0, sleeps=sleeps)
    assert states(first) == dict.fromkeys(ADDRESSES, "sent")  # the second reader, after the wait
    assert sleeps == [600.0]  # mail.retry_after_minutes (10 by default), once for the run
    second = run(root, server.port, retries=0)
    assert second.count("skipped") == 4
    assert server.count_by_address() == Counter(ADDRESSES)  # each address exactly once over both runs


def test_greylisting_waits_minutes_within_the_run_and_across_runs(root, servers):
    """A server that answers 451 until a reader's message comes back minutes later (as greylisting does)."""
    server = servers(Handler(temporary_data_failures=4))  # the first reader's four quick attempts all get 451
    sleeps = []
    report = run(root, server.port, sleeps=sleeps)
    assert states(report) == dict.fromkeys(ADDRESSES, "sent")
    assert 600.0 in sleeps and server.count_by_address() == Counter(ADDRESSES)

    server.handler.temporary_data_failures = 100  # a server that keeps deferring: the next run must wait for it
    publish_and_build_after_edit(root)
    later = run(root, server.port, sleeps=[])
    assert {o.state for o in later.outcomes if o.address in ("minji@example.org", "olena@example.org")} == {"deferred"}
    assert later.exit_code() == 1 and "Deferred 2" in later.summary()
    server.handler.temporary_data_failures = 0
    soon = run(root, server.port)  # NOW again: before the retry time, nothing is tried
    assert {o.state for o in soon.outcomes if o.address == "minji@example.org"} == {"deferred"}
    assert "not before" in next(o.detail for o in soon.outcomes if o.address == "minji@example.org")
    assert server.count_by_address()["minji@example.org"] == 1


def test_dropped_connection_is_retried_within_the_run(root, servers):
    server = servers(Handler(drop_at_data=2))
    sleeps = []
    report = run(root, server.port, sleeps=sleeps)
    assert states(report) == {address: "sent" for address in ADDRESSES}
    assert server.count_by_address() == Counter(ADDRESSES)
    assert sleeps == [1.0]
    assert report.connections == 2  # reconnected once after the drop


def test_connection_refused_at_start_is_refused_after_retries(root):
    port = free_port()  # nothing listens there
    sleeps = []
    with pytest.raises(SendRefused, match=f"cannot connect to 127.0.0.1:{port} after 4 attempts"):
        run(root, port, sleeps=sleeps)
    assert sleeps == [1.0, 2.0, 4.0]
    assert not (root / "out" / "mail" / LEDGER).exists()


# --- 6. a crash between hand-over and reply ---------------------------------------------------


class SimulatedCrash(BaseException):
    """The process dying: not an Exception, so nothing in send() may catch it."""


@contextlib.contextmanager
def crash_on_sent(address: str):
    """Make the process 'die' right after the server accepted `address`'s message, before the ledger hears it."""
    original = Ledger.record

    def record(self, key, event, **fields):
        if event == "sent" and fields.get("recipient") == address:
            raise SimulatedCrash(address)
        return original(self, key, event, **fields)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Ledger, "record", record)
        with pytest.raises(SimulatedCrash):
            yield


def test_crash_after_hand_over_is_unknown_and_not_resent(root, server):
    with crash_on_sent("olena@example.org"):
        run(root, server.port)
    assert server.count_by_address() == Counter(["minji@example.org", "olena@example.org"])

    report = run(root, server.port)
    assert states(report) == {"minji@example.org": "skipped", "olena@example.org": "unknown",
                              "ivan@example.org": "sent", "sam@example.org": "sent"}
    assert "--settle olena@example.org=sent" in next(o.detail for o in report.outcomes if o.address == "olena@example.org")
    assert server.count_by_address() == Counter(ADDRESSES)

    again = run(root, server.port)
    assert states(again)["olena@example.org"] == "unknown"
    assert server.count_by_address() == Counter(ADDRESSES)

    resent = run(root, server.port, only=["olena@example.org"], resend=True)
    assert states(resent) == {"olena@example.org": "sent"}
    assert server.count_by_address()["olena@example.org"] == 2
    assert states(run(root, server.port))["olena@example.org"] == "skipped"


def test_intent_without_outcome_in_ledger_is_reported_by_the_cli(root, server):
    project = load_project(root)
    sam = next(r for r in recipients_of(root, project) if r.address == "sam@example.org")
    delivery = plan_delivery(project, sam, read_manifest(root / "out"), project.settings.mail)
    ledger = root / "out" / "mail" / LEDGER
    ledger.parent.mkdir(parents=True)
    ledger.write_text(json.dumps({"event": "intent", "key": delivery.key, "recipient": sam.address,
                                  "message_id": delivery.message_id}) + "\n", encoding="utf-8")
    result = invoke(["send", "-C", str(root), "--recipients", str(root / "recipients.yaml")], env_for(server.port))
    assert result.exit_code == 1
    assert "unknown: sam@example.org" in result.output
    assert "Sent 3, skipped 0 (already sent), failed 0, unknown 1." in result.output
    assert "sam@example.org" not in server.count_by_address()


def test_crash_after_a_torn_ledger_line_still_leaves_the_intent_readable(root, server):
    """An earlier crash left a line cut short (no newline); the next run's events must still be readable."""
    ledger = root / "out" / "mail" / LEDGER
    ledger.parent.mkdir(parents=True)
    ledger.write_text('{"event": "sent", "key": "0123', encoding="utf-8")
    with crash_on_sent("minji@example.org"):
        run(root, server.port)
    report = run(root, server.port)
    assert states(report)["minji@example.org"] == "unknown"
    assert server.count_by_address()["minji@example.org"] == 1  # not sent a second time


# --- 7-8. what is due, and refusing stale PDFs ----------------------------------------------


def publish_and_build_after_edit(root: Path) -> None:
    """Edit a fact of the deployment sheet, then publish and build it (its readers: Minji and Olena)."""
    edit_fact(root)
    publish_and_build(root)


def publish_and_build(root: Path) -> None:
    """What a desk does after an edit: publish the next edition, then build it."""
    publish(validated(load_project(root)), None, dt.date(2025, 7, 2))
    build(validated(load_project(root)))


def test_an_update_reaches_only_the_readers_of_the_changed_sheet_with_only_that_sheet(root, server):
    run(root, server.port)
    old = {a: parse(m.content) for a, m in by_address(server).items()}
    edit_fact(root)
    build(validated(load_project(root)))
    with pytest.raises(SendRefused, match=r"kursk-deployment\.\w+.*not published .*run 'factsheet publish'"):
        run(root, server.port)  # a draft is never sent
    publish_and_build(root)

    report = run(root, server.port)
    assert states(report) == {"minji@example.org": "sent", "olena@example.org": "sent",
                              "ivan@example.org": "skipped", "sam@example.org": "skipped"}
    assert server.count_by_address() == Counter({"minji@example.org": 2, "olena@example.org": 2,
                                                 "ivan@example.org": 1, "sam@example.org": 1})
    newest = {message.rcpt_tos[0]: parse(message.content) for message in server.messages[4:]}
    for address, file, language in (("minji@example.org", "kursk-deployment.ko.pdf", "ko"),
                                    ("olena@example.org", "kursk-deployment.uk.card.pdf", "uk")):
        parts = {p.get_filename(): p.get_content() for p in newest[address].iter_attachments()}
        previous = {p.get_filename(): p.get_content() for p in old[address].iter_attachments()}
        assert list(parts) == [file]  # only the sheet that changed
        assert parts[file] == (root / "out" / file).read_bytes() != previous[file]
        assert str(newest[address]["Message-ID"]) != str(old[address]["Message-ID"])
        t = translator(language)
        project = load_project(root)
        sheet = project.sheets["kursk-deployment"]
        date = format_partial_date(sheet.as_of, date_locale(typography_for(project, language), t))
        expected = t.ngettext("Updated briefing as of {date}: {titles}", "{n} updated briefings as of {date}: {titles}",
                              1, date=date, titles=resolve_sheet(project, sheet, language).title.text)
        assert str(newest[address]["Subject"]) == expected  # every space kept (Python's folding used to drop one)
        plain = newest[address].get_body(("plain",)).get_content()
        heading = t.gettext("Changes since {date}").split("{date}")[0].strip().upper()
        assert heading in plain.upper() and t.gettext("Updated").upper() in plain  # what changed, first; marked
    assert states(run(root, server.port)) == dict.fromkeys(ADDRESSES, "skipped")  # each change goes once


def test_refuses_pdfs_older_than_their_inputs(root, server):
    edit_fact(root)
    with pytest.raises(SendRefused) as refused:
        run(root, server.port)
    assert "kursk-deployment.en.pdf is older than its inputs" in str(refused.value)
    assert "factsheet build" in str(refused.value)
    assert server.connections == 0 and server.messages == []
    assert not (root / "out" / "mail" / LEDGER).exists()


def test_refuses_a_missing_pdf(root, server):
    (root / "out" / "treaty-anniversary.ru.card.pdf").unlink()
    with pytest.raises(SendRefused, match=r"treaty-anniversary\.ru\.card\.pdf is missing.*factsheet build"):
        run(root, server.port)
    result = invoke(["send", "-C", str(root), "--recipients", str(root / "recipients.yaml")], env_for(server.port))
    assert result.exit_code == 5  # refused before sending
    assert "is missing" in result.output
    assert server.connections == 0 and server.messages == []


def test_refuses_a_pdf_changed_after_the_build(root, server):
    path = root / "out" / "kursk-casualties.ko.pdf"
    path.write_bytes(path.read_bytes() + b"\n% tampered\n")
    with pytest.raises(SendRefused, match="does not match the manifest"):
        run(root, server.port)
    assert server.connections == 0 and server.messages == []


def test_sheet_option_sends_only_that_sheet(root, server):
    report = run(root, server.port, sheets=["kursk-casualties"])
    received = {a: parse(m.content) for a, m in by_address(server).items()}
    assert attachment_names(received["minji@example.org"]) == ["kursk-casualties.ko.pdf"]
    assert attachment_names(received["olena@example.org"]) == ["kursk-casualties.uk.card.pdf"]
    assert attachment_names(received["ivan@example.org"]) == ["kursk-casualties.ru.pdf"]
    # Sam reads only treaty-anniversary: a run restricted to kursk-casualties has nothing for him.
    assert "sam@example.org" not in received
    assert states(report)["sam@example.org"] != "sent"


# --- 9. TLS -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def tls_server(servers, ca: trustme.CA) -> SmtpServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST).configure_cert(context)
    return servers(tls_context=context, require_starttls=True)


def test_starttls_required_but_not_offered_is_refused(root, server):
    with pytest.raises(SendRefused, match="does not offer STARTTLS"):
        run(root, server.port, security="starttls")
    assert server.messages == []
    assert not (root / "out" / "mail" / LEDGER).exists()  # not even an intent


def test_starttls_with_the_right_ca_delivers(root, servers, ca, tmp_path):
    server = tls_server(servers, ca)
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    report = run(root, server.port, env=env_for(server.port, "starttls", FACTSHEET_SMTP_CAFILE=str(cafile)))
    assert report.count("sent") == 4
    assert server.count_by_address() == Counter(ADDRESSES)
    assert all(message.tls for message in server.messages)


def test_starttls_with_an_untrusted_certificate_is_refused(root, servers, ca):
    server = tls_server(servers, ca)
    with pytest.raises(SendRefused, match="TLS with 127.0.0.1"):
        run(root, server.port, security="starttls")
    assert server.messages == []
    assert not (root / "out" / "mail" / LEDGER).exists()


# --- 10. hostile names and addresses ------------------------------------------------------------

GOOD = "recipients:\n  - name: Good Reader\n    address: good@example.org\n    languages: [en]\n"


@pytest.mark.parametrize("name, address, languages, position, code, words", [
    ('"Eve\\r\\nBcc: x@evil.example"', "eve@example.org", "[en]", (5, 11), "unsafe-header", "U+000D"),
    ("=?utf-8?q?Eve=0D=0ABcc:_x@evil.example?=", "eve@example.org", "[en]", (5, 11), "unsafe-header", "control character"),
    ("Eve", '"a@example.org, b@example.org"', "[en]", (6, 14), "bad-address", "more than one address"),
    ("Eve", "eve.example.org", "[en]", (6, 14), "bad-address", "has no '@'"),
    ("Eve", "Good@EXAMPLE.org", "[en]", (6, 14), "duplicate-recipient", "already listed at line 3"),
    ("Eve", "eve@example.org", "[kr]", (7, 17), "bad-language", "did you mean 'ko'"),
])
def test_hostile_or_wrong_recipients_are_refused_before_connecting(root, server, name, address, languages, position,
                                                                   code, words):
    path = root / "readers.yaml"
    path.write_text(GOOD + f"  - name: {name}\n    address: {address}\n    languages: {languages}\n", encoding="utf-8")
    _, problems = load_recipients(path, load_project(root))
    assert [p.code for p in problems] == [code]
    line, column = position
    formatted = problems[0].format(relative_to=root)
    assert formatted.startswith(f"readers.yaml:{line}:{column}: error: ")
    assert formatted.endswith(f"[{code}]") and words in formatted

    result = invoke(["send", "-C", str(root), "--recipients", str(path)], env_for(server.port))
    assert result.exit_code == 1
    assert f"readers.yaml:{line}:{column}: error:" in result.output
    assert "Nothing sent" in result.output
    assert server.connections == 0 and server.messages == []


@pytest.mark.parametrize("value", ["Kim Min-ji", "김민지", "Олена Коваль", "Tab\tseparated", "=?utf-8?q?Caf=C3=A9?="])
def test_check_header_value_accepts_safe_values(value):
    assert check_header_value(value, "the name") == value


@pytest.mark.parametrize("value", [
    "Eve\r\nBcc: x@evil.example", "Eve\nBcc: x@evil.example", "Eve\rBcc: x@evil.example", "nul\x00", "del\x7f",
    "bell\x07", "=?utf-8?q?Eve=0D=0ABcc:_x@evil.example?=", "=?utf-8?q?Eve=0ABcc:_x@evil.example?=",
    "=?utf-8?b?" + base64.b64encode(b"Eve\r\nBcc: x@evil.example").decode() + "?=",
    "Dear =?iso-8859-1?q?Eve=0D=0A?= reader",
])
def test_check_header_value_refuses_line_breaks_and_controls(value):
    with pytest.raises(UnsafeHeader, match="the name"):
        check_header_value(value, "the name")


@pytest.mark.parametrize("value, expected", [
    ("minji@example.org", "minji@example.org"),
    ("  minji@example.org ", "minji@example.org"),
    ("o'brien+briefings@mail.example.co.uk", "o'brien+briefings@mail.example.co.uk"),
])
def test_check_address_accepts_one_complete_address(value, expected):
    assert check_address(value) == expected


@pytest.mark.parametrize("value, error, words", [
    ("a@example.org, b@example.org", BadAddress, "more than one address"),
    ("a@example.org;b@example.org", BadAddress, "more than one address"),
    ("a@b@example.org", BadAddress, "more than one address"),
    ("Minji <minji@example.org>", BadAddress, "not a plain address"),
    ("minji example@example.org", BadAddress, "not a plain address"),
    ("minji.example.org", BadAddress, "no '@'"),
    ("minji@localhost", BadAddress, "not a complete address"),
    ("@example.org", BadAddress, "not a complete address"),
    ("minji@example.org\r\nBcc: x@evil.example", UnsafeHeader, "control character"),
    ("minji@example.org\nBcc: x@evil.example", UnsafeHeader, "control character"),
])
def test_check_address_refuses_anything_but_one_address(value, error, words):
    with pytest.raises(error, match=re.escape(words)):
        check_address(value)


# --- 11. dry run ---------------------------------------------------------------------------------


def test_dry_run_writes_one_eml_per_recipient_and_sends_nothing(root, server):
    project = load_project(root)
    report = send(validated(project), recipients_of(root, project), dry_run=True, now=NOW, sleep=[].append)
    assert [o.state for o in report.outcomes] == ["written"] * 4
    files = sorted((root / "out" / "mail").glob("*.eml"))
    assert len(files) == 4
    seen = {}
    for path in files:
        message = parse(path.read_bytes())
        [to] = message["To"].addresses
        seen[to.addr_spec] = attachment_names(message)
    assert seen == {address: sorted(files) for address, (_, _, files) in EXPECTED.items()}
    assert not (root / "out" / "mail" / LEDGER).exists()
    assert server.connections == 0

    report = run(root, server.port)  # a dry run recorded nothing: everything is still due
    assert report.count("sent") == 4


def test_cli_dry_run(root, server):
    result = invoke(["send", "-C", str(root), "--recipients", str(root / "recipients.yaml"), "--dry-run"],
                    env_for(server.port))
    assert result.exit_code == 0, result.output
    assert "Wrote 4 messages to" in result.output and "sent nothing" in result.output
    emls = sorted((root / "out" / "mail").glob("*.eml"))
    assert len(emls) == 4
    assert {parse(p.read_bytes())["To"].addresses[0].addr_spec for p in emls} == set(ADDRESSES)
    assert not (root / "out" / "mail" / LEDGER).exists()
    assert server.connections == 0 and server.messages == []


# --- 12. secrets and insecure settings -------------------------------------------------------------


def test_password_never_appears_when_login_is_refused(root, servers):
    authenticator = Authenticator(accept=False)
    server = servers(authenticator=authenticator, auth_require_tls=False)
    env = env_for(server.port, FACTSHEET_SMTP_USER="desk", FACTSHEET_SMTP_PASSWORD=PASSWORD)
    result = invoke(["send", "-C", str(root), "--recipients", str(root / "recipients.yaml")], env)
    assert result.exit_code == 3  # the environment: the server would not take the login
    assert "Nothing sent" in result.output and "refused the login" in result.output
    assert (b"desk", PASSWORD.encode()) in authenticator.seen  # the password really was used...
    assert PASSWORD not in result.output  # ...and never shown (output holds stdout and stderr, with click 8.1 and 8.2+)
    ledger = root / "out" / "mail" / LEDGER
    assert not ledger.exists() or PASSWORD not in ledger.read_text(encoding="utf-8")
    assert server.messages == []


def test_password_never_appears_in_the_ledger_or_output(root, servers):
    authenticator = Authenticator(accept=True)
    server = servers(Handler(reject=("ivan@example.org",)), authenticator=authenticator, auth_require_tls=False)
    env = env_for(server.port, FACTSHEET_SMTP_USER="desk", FACTSHEET_SMTP_PASSWORD=PASSWORD)
    result = invoke(["send", "-C", str(root), "--recipients", str(root / "recipients.yaml")], env)
    assert result.exit_code == 1
    assert "Sent 3, skipped 0 (already sent), failed 1, unknown 0." in result.output
    assert (b"desk", PASSWORD.encode()) in authenticator.seen
    assert PASSWORD not in result.output
    ledger = (root / "out" / "mail" / LEDGER).read_text(encoding="utf-8")
    assert "ivan@example.org" in ledger and PASSWORD not in ledger


def test_password_never_appears_when_the_connection_is_refused(root, cli_sleeps):
    env = env_for(free_port(), FACTSHEET_SMTP_USER="desk", FACTSHEET_SMTP_PASSWORD=PASSWORD)
    result = invoke(["send", "-C", str(root), "--recipients", str(root / "recipients.yaml")], env)
    assert result.exit_code == 3  # the environment: no server to talk to
    assert "cannot connect" in result.output and PASSWORD not in result.output
    assert cli_sleeps == [1.0, 2.0, 4.0]
    assert not (root / "out" / "mail" / LEDGER).exists()


def test_settings_repr_hides_the_password(root):
    mail = load_project(root).settings.mail
    settings = smtp_settings(mail, {"FACTSHEET_SMTP_HOST": "smtp.example.org", "FACTSHEET_SMTP_USER": "desk",
                                    "FACTSHEET_SMTP_PASSWORD": PASSWORD})
    assert settings.password == PASSWORD and settings.security == "starttls" and settings.port == 587
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings) and PASSWORD not in f"{[settings]}"


def test_user_without_auth_on_the_server_is_refused_without_retrying(root, server):
    """A server that offers no AUTH while a user is configured: no retry can fix that (like a refused login)."""
    env = env_for(server.port, FACTSHEET_SMTP_USER="desk", FACTSHEET_SMTP_PASSWORD=PASSWORD)
    sleeps = []
    with pytest.raises(SendRefused, match="AUTH") as refused:
        run(root, server.port, env=env, sleeps=sleeps)
    assert PASSWORD not in str(refused.value)
    assert server.messages == []
    assert sleeps == [] and server.connections == 1


def test_unencrypted_only_on_loopback_unless_allowed(root):
    mail = load_project(root).settings.mail
    remote = {"FACTSHEET_SMTP_HOST": "smtp.example.org", "FACTSHEET_SMTP_SECURITY": "none"}
    with pytest.raises(SmtpConfigError, match="refusing to send unencrypted to smtp.example.org"):
        smtp_settings(mail, remote)
    assert smtp_settings(mail, remote, allow_insecure=True).port == 25
    with pytest.raises(SmtpConfigError, match="password over an unencrypted connection"):
        smtp_settings(mail, {**remote, "FACTSHEET_SMTP_PASSWORD": PASSWORD}, allow_insecure=True)
    for host in ("localhost", "127.0.0.1", "::1"):
        assert smtp_settings(mail, {"FACTSHEET_SMTP_HOST": host, "FACTSHEET_SMTP_SECURITY": "none"}).loopback
    with pytest.raises(SmtpConfigError, match="line break"):
        smtp_settings(mail, {"FACTSHEET_SMTP_HOST": "smtp.example.org", "FACTSHEET_SMTP_USER": "desk\r\nX: y"})

    result = invoke(["send", "-C", str(root), "--recipients", str(root / "recipients.yaml")], remote)
    assert result.exit_code == 2
    assert "refusing to send unencrypted" in result.output


def test_password_in_settings_file_is_an_error(root):
    settings = root / "factsheets" / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8")
                        + f"  smtp:\n    host: smtp.example.org\n    password: {PASSWORD}\n", encoding="utf-8")
    result = invoke(["check", "-C", str(root)])
    assert result.exit_code == 1
    assert "[secret-in-file]" in result.output and "FACTSHEET_SMTP_PASSWORD" in result.output


# --- 13. rate limit ----------------------------------------------------------------------------------


def test_rate_limit_sleeps_between_messages(root, server):
    sleeps = []
    report = run(root, server.port, rate=30, sleeps=sleeps)
    assert report.count("sent") == 4
    assert sleeps == [2.0] * (len(ADDRESSES) - 1)


def test_no_rate_limit_no_sleep(root, server):
    sleeps = []
    run(root, server.port, sleeps=sleeps)
    assert sleeps == []


# --- 14. check --recipients --------------------------------------------------------------------------


def test_check_recipients_reports_problems_with_positions(root):
    path = root / "bad.yaml"
    path.write_text(GOOD + "  - name: Eve\n    address: eve.example.org\n    languages: [kr]\n"
                    "    colour: blue\n", encoding="utf-8")
    result = invoke(["check", "-C", str(root), "--recipients", str(path)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "bad.yaml:" in line]
    assert any(re.search(r"bad\.yaml:6:14: error: .*\[bad-address\]$", line) for line in lines), result.output
    assert any(re.search(r"bad\.yaml:7:17: error: .*did you mean 'ko'.*\[bad-language\]$", line) for line in lines)
    assert any(re.search(r"bad\.yaml:8:5: error: .*\[unknown-key\]$", line) for line in lines), result.output


def test_check_recipients_accepts_the_documented_example(root):
    result = invoke(["check", "-C", str(root), "--recipients", str(REPO_ROOT / "docs" / "recipients.example.yaml")])
    assert result.exit_code == 0, result.output
    assert "error" not in result.output.replace("0 errors", "")


# --- 15. runs a desk can trust: one at a time, no PDF changed under a body, a stop when the server goes ---


def test_a_second_send_refuses_and_names_the_first(root, server):
    with exclusive(root / "out" / "mail"):
        with pytest.raises(AnotherSend, match=rf"another send is running .*process {os.getpid()}, started "):
            run(root, server.port)
        result = invoke(["send", "-C", str(root), "--recipients", str(root / "recipients.yaml")], env_for(server.port))
    assert result.exit_code == 5 and "another send is running" in result.output
    assert server.connections == 0 and server.messages == []
    assert states(run(root, server.port)) == dict.fromkeys(ADDRESSES, "sent")  # the lock went with the first run


def test_two_sends_started_together_deliver_each_message_once(root, server):
    command = [sys.executable, "-m", "factsheet", "send", "-C", str(root), "--recipients", str(root / "recipients.yaml")]
    environment = {**os.environ, **env_for(server.port)}
    runs = [subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    outputs = [process.communicate(timeout=120)[0].decode() for process in runs]
    assert sorted(process.returncode for process in runs) in ([0, 0], [0, 5]), outputs
    assert server.count_by_address() == dict.fromkeys(ADDRESSES, 1)


def test_a_pdf_rebuilt_during_a_send_is_never_attached_to_a_body_written_for_the_old_one(root, server, monkeypatch):
    manifest = read_manifest(root / "out")
    changed = root / "out" / "kursk-casualties.ru.pdf"  # only Ivan's message carries it, and he comes after Minji
    real = send_module.SmtpTransport.send

    def rebuild_after_the_first(transport, message, address):
        reply = real(transport, message, address)
        if address == ADDRESSES[0]:
            changed.write_bytes(changed.read_bytes().replace(b"%%EOF", b"%%EOF\n% rebuilt\n"))
        return reply

    monkeypatch.setattr(send_module.SmtpTransport, "send", rebuild_after_the_first)
    report = run(root, server.port)
    assert states(report)["ivan@example.org"] == "failed"
    assert "kursk-casualties.ru.pdf changed after this send began" in {o.address: o.detail for o in report.outcomes}[
        "ivan@example.org"]
    for message in server.messages:  # every PDF that went out is the one the manifest named when the run began
        for part in parse(message.content).iter_attachments():
            assert hashlib.sha256(part.get_content()).hexdigest() == manifest[part.get_filename()]["sha256"]
    assert Ledger(root / "out" / "mail" / LEDGER).state(
        next(e["key"] for e in ledger_events(root) if e["recipient"] == "minji@example.org")) == "sent"
    assert not any(e["recipient"] == "ivan@example.org" for e in ledger_events(root))  # still due, not unknown


def test_a_server_that_dies_mid_run_stops_the_run_and_the_rest_is_not_attempted(root, servers):
    server = servers()
    sleeps = []

    def stop_after_the_first(outcome):
        if outcome.state == "sent":
            server.stop()

    report = run(root, server.port, sleeps=sleeps, progress=stop_after_the_first)
    assert [o.state for o in report.outcomes] == ["sent", "failed", "not attempted", "not attempted"]
    assert "is not answering" in report.stopped and report.exit_code() == 4
    assert sum(sleeps) < 10  # one reader's retries, not every remaining reader's
    assert "Stopped early, 2 not attempted" in report.summary()
    saved = json.loads(report.report_path.read_text(encoding="utf-8"))
    assert saved["counts"]["sent"] == 1 and saved["counts"]["not attempted"] == 2 and saved["stopped"]


class RefusesSessionAfterOne(Handler):
    """Accepts one message, then answers every MAIL FROM with 530: the session is refused."""

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.messages:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        return "250 OK"


def test_a_session_refused_mid_run_stops_the_run_at_once(root, servers):
    server = servers(RefusesSessionAfterOne())
    sleeps = []
    report = run(root, server.port, sleeps=sleeps)
    assert [o.state for o in report.outcomes] == ["sent", "failed", "not attempted", "not attempted"]
    assert "530" in report.stopped and sleeps == []  # no retry can help a refused session


def test_every_run_leaves_a_json_report_and_the_cli_prints_where(root, server):
    result = invoke(["send", "-C", str(root), "--recipients", str(root / "recipients.yaml")], env_for(server.port))
    assert result.exit_code == 0, result.output
    [path] = (root / "out" / "mail" / "runs").glob("*.json")
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["counts"]["sent"] == 4 and [o["address"] for o in report["outcomes"]] == ADDRESSES
    assert f"Report: {path}" in result.output or path.name in result.output


def test_each_message_is_dated_when_it_is_made(root, server, monkeypatch):
    ticks = iter(range(0, 1000, 7))  # seven seconds pass between one message and the next
    monkeypatch.setattr(send_module.time, "monotonic", lambda: float(next(ticks)))
    run(root, server.port)
    dates = [parse(message.content)["Date"] for message in server.messages]
    assert len(set(dates)) == len(dates) == 4


def test_a_reader_with_no_language_is_an_error_not_silently_skipped(root):
    path = root / "readers.yaml"
    path.write_text(textwrap.dedent("""\
        recipients:
          - name: Nobody
            address: nobody@example.org
            languages: []
        """), encoding="utf-8")
    _, problems = load_recipients(path, load_project(root))
    assert [(p.code, p.loc.line) for p in problems] == [("no-language", 4)]


def test_a_disputed_figure_is_marked_disputed_in_the_message_never_left_as_two_facts(project):
    from factsheet.mail.body import Body
    from factsheet.templates import load_template

    project.replace("factsheets/sheets/s.yaml", "      disputed: true\n", "      disputed: true\n      key: true\n")
    loaded = load_project(project.root)
    resolved = resolve_sheet(loaded, loaded.sheets["bridge"], "en")
    body = Body(load_template(REPO_ROOT / "templates", "briefing").colours, "en")
    body.sheet(resolved, None, "Attached: bridge.en.pdf")
    plain = "\n".join(body.text).replace("\u00a0", " ")
    assert "[CLAIMED] at most 6 weeks · Expected length of the closure (disputed); According to Riverton" in plain
    assert "10–12 weeks · Expected length of the closure (disputed); According to Old Town" in plain
    assert "disputed" in html_text(body.page()) and "<script" not in body.page()


def test_a_translation_that_fell_back_to_english_is_marked_and_said_so(root, server):
    path = root / "factsheets" / "sheets" / "kursk-casualties.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Only four or five coffins were shown, while reports",
                                 "Only four or five coffins were ever shown, while reports", 1), encoding="utf-8")
    publish_and_build(root)
    run(root, server.port, only=["minji@example.org"])
    [message] = server.messages
    plain = parse(message.content).get_body(("plain",)).get_content()
    t = translator("ko")
    assert "Only four or five coffins were ever shown" in plain and "†" in plain
    assert t.ngettext("{n} text is not yet translated and is shown in the original language, marked †.",
                      "{n} texts are not yet translated and are shown in the original language, marked †.", 1) in plain
    assert t.gettext("This translation has not yet been reviewed by a person.") in plain


def test_markup_in_a_record_reaches_the_html_part_as_text(project):
    from factsheet.mail.body import Body
    from factsheet.templates import load_template

    project.replace("factsheets/sheets/s.yaml", "The council closed the Old Bridge after an inspection.",
                    "<img src=x onerror=alert(1)> & <b>closed</b>")
    loaded = load_project(project.root)
    body = Body(load_template(REPO_ROOT / "templates", "briefing").colours, "en")
    body.sheet(resolve_sheet(loaded, loaded.sheets["bridge"], "en"), None, "Attached: bridge.en.pdf")
    page = body.page()
    assert "<img" not in page and "<b>closed" not in page and "&lt;img src=x onerror=alert(1)&gt; &amp;" in page


@pytest.mark.parametrize("arrived", [True, False], ids=["it arrived", "it did not"])
def test_an_unknown_delivery_is_settled_by_the_desk(root, server, arrived):
    with crash_on_sent("olena@example.org"):
        run(root, server.port)
    assert states(run(root, server.port))["olena@example.org"] == "unknown"
    result = invoke(["send", "-C", str(root), "--settle", f"olena@example.org={'sent' if arrived else 'unsent'}"])
    assert result.exit_code == 0 and "olena@example.org: " in result.output
    received = server.count_by_address()["olena@example.org"]
    after = run(root, server.port)
    assert states(after)["olena@example.org"] == ("skipped" if arrived else "sent")
    assert server.count_by_address()["olena@example.org"] == received + (0 if arrived else 1)
    with pytest.raises(Exception, match="no delivery to olena@example.org has an unknown outcome"):
        settle(validated(load_project(root)), {"olena@example.org": True})


def test_resend_takes_addresses_and_sheets(root, server):
    run(root, server.port)
    result = invoke(["send", "-C", str(root), "--recipients", str(root / "recipients.yaml"), "--resend",
                     "minji@example.org", "--sheet", "treaty-anniversary"], env_for(server.port))
    assert result.exit_code == 0, result.output
    [again] = server.messages[4:]
    assert again.rcpt_tos == ("minji@example.org",)
    assert attachment_names(parse(again.content)) == ["treaty-anniversary.ko.pdf"]  # that reader, that sheet, nobody else


def test_regional_and_unpublished_languages_fall_back_to_what_the_project_publishes(root, server):
    text = ("recipients:\n"
            "  - {name: Brit, address: brit@example.org, languages: [en-GB], sheets: [treaty-anniversary]}\n"
            "  - {name: Aiko, address: aiko@example.org, languages: [ja], sheets: [treaty-anniversary]}\n"
            "  - {name: Dieter, address: dieter@example.org, languages: [de, ru], sheets: [treaty-anniversary]}\n")
    (root / "readers.yaml").write_text(text, encoding="utf-8")
    readers, problems = load_recipients(root / "readers.yaml", load_project(root))
    assert [(p.code, p.severity.value) for p in problems] == [("unpublished-language", "warning")] * 2
    assert [(r.languages, r.asked) for r in readers] == [(("en",), ""), (("en",), "ja"), (("ru",), "de")]
    project = load_project(root)
    send(validated(project), readers, smtp=smtp_settings(project.settings.mail, env_for(server.port)), now=NOW,
         sleep=[].append)
    received = by_address(server)
    assert attachment_names(parse(received["brit@example.org"].content)) == ["treaty-anniversary.en.pdf"]
    assert attachment_names(parse(received["dieter@example.org"].content)) == ["treaty-anniversary.ru.pdf"]
    aiko = parse(received["aiko@example.org"].content).get_body(("plain",)).get_content()
    assert "This briefing is not available in Japanese; it is attached in English." in aiko


@pytest.mark.parametrize("written, sent", [("reader@bücher.example", "reader@xn--bcher-kva.example"),
                                           ("Reader@Example.ORG", "Reader@Example.ORG")])
def test_an_internationalised_domain_travels_in_its_ascii_form(written, sent):
    assert check_address(written) == sent


@pytest.mark.parametrize("address", ["王芳(x)@example.org", "王芳@", "王芳@localhost"])
def test_an_address_in_another_script_must_still_be_one_complete_address(address):
    with pytest.raises(BadAddress, match="not a complete address"):
        check_address(address)


def with_mail_setting(root: Path, line: str) -> None:
    settings = root / "factsheets" / "settings.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("mail:\n", f"mail:\n  {line}\n", 1), encoding="utf-8")


def test_the_suppression_list_is_honoured_by_send_and_read_by_check(root, server):
    with_mail_setting(root, "suppression: suppressed.txt")
    (root / "suppressed.txt").write_text("# unsubscribed 2025-06-30\nIVAN@example.org\n", encoding="utf-8")
    result = invoke(["check", "-C", str(root), "--recipients", str(root / "recipients.yaml")])
    assert "ivan@example.org is on the suppression list (suppressed.txt): never sent to [suppressed]" in result.output
    report = run(root, server.port)
    assert states(report)["ivan@example.org"] == "suppressed" and "ivan@example.org" not in server.count_by_address()
    assert server.count_by_address() == Counter(a for a in ADDRESSES if a != "ivan@example.org")
    (root / "suppressed.txt").write_text("ivan@example.org\nnot an address\n", encoding="utf-8")
    result = invoke(["check", "-C", str(root), "--recipients", str(root / "recipients.yaml")])
    assert result.exit_code == 1 and "suppressed.txt:2:1: error: suppression file:" in result.output


def test_an_https_unsubscribe_link_is_each_readers_own_and_one_click(root, server):
    settings = root / "factsheets" / "settings.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("mailto:unsubscribe@example.org", "https://example.org/unsubscribe"), encoding="utf-8")
    with pytest.raises(SendRefused, match="set FACTSHEET_UNSUBSCRIBE_SECRET"):
        run(root, server.port)
    assert server.messages == []
    run(root, server.port, unsubscribe_secret="s3cret")
    links = {}
    for address, envelope in by_address(server).items():
        message = parse(envelope.content)
        token = hmac.new(b"s3cret", address.encode(), hashlib.sha256).hexdigest()[:32]
        assert str(message["List-Unsubscribe"]) == f"<https://example.org/unsubscribe?token={token}>"
        assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
        assert f"https://example.org/unsubscribe?token={token}" in message.get_body(("plain",)).get_content()
        links[address] = token
    assert len(set(links.values())) == len(ADDRESSES)


class Pigeon:
    """Another channel, written against the Transport seam only: it carries every message it is handed."""

    delivers = True
    connections = 0

    def __init__(self) -> None:
        self.carried: list = []

    def open(self) -> None:
        self.connections += 1

    def send(self, message, recipient: str) -> str:
        self.carried.append((recipient, message))
        return "carried by pigeon"

    def close(self) -> None:
        pass


def test_another_channel_plugs_into_send_through_the_transport_seam(root):
    pigeon = Pigeon()
    project = load_project(root)
    report = send(validated(project), recipients_of(root, project), transport=pigeon, now=NOW)
    assert states(report) == dict.fromkeys(ADDRESSES, "sent") and [r for r, _ in pigeon.carried] == ADDRESSES
    assert {e["reply"] for e in ledger_events(root) if e["event"] == "sent"} == {"carried by pigeon"}
    again = send(validated(load_project(root)), recipients_of(root), transport=pigeon, now=NOW)
    assert states(again) == dict.fromkeys(ADDRESSES, "skipped") and len(pigeon.carried) == 4  # the ledger still rules


@pytest.mark.parametrize("offers", [True, False], ids=["server offers SMTPUTF8", "server does not"])
def test_an_address_in_another_script_is_sent_with_smtputf8_where_the_server_offers_it(root, servers, offers):
    server = servers(enable_SMTPUTF8=offers)
    text = ("recipients:\n  - {name: 王芳, address: 王芳@example.org, languages: [en], sheets: [treaty-anniversary]}\n"
            "  - {name: Sam Reader, address: sam@example.org, languages: [en], sheets: [treaty-anniversary]}\n")
    recipients_of(root, text=text)
    report = run(root, server.port)
    if offers:
        assert states(report) == {"王芳@example.org": "sent", "sam@example.org": "sent"}
        [message] = [m for m in server.messages if m.rcpt_tos == ("王芳@example.org",)]
        assert "王芳 <王芳@example.org>" in message.content.decode("utf-8")
    else:
        assert states(report) == {"王芳@example.org": "failed", "sam@example.org": "sent"}
        assert "does not offer SMTPUTF8" in report.outcomes[0].detail
