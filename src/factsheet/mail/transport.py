"""How messages leave: the Transport seam, the SMTP hand-over behind it (one reused connection, TLS verified,
transient failures retried with backoff), and the outbox a dry run writes to."""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Callable, Protocol

from .config import SmtpSettings


class PermanentFailure(Exception):
    """The server refused this message for good (a 5xx reply)."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"{code} {text}")
        self.code = code


class TransientFailure(Exception):
    """The message could not be handed over after every retry (connection trouble or 4xx replies)."""


class ServerGone(TransientFailure):
    """The server is down, or refuses the whole session: no later message of this run can get through."""


# Replies that speak for the session, not the message: 421 the service is closing, 530 authentication required.
SESSION_REFUSALS = (421, 530)


class TransportError(Exception):
    """A problem with the connection itself that no retry can fix (TLS not offered, bad certificate, login refused)."""


def _close(connection) -> None:
    if connection is not None:
        try:
            connection.close()
        except OSError:
            pass


def _reply_text(raw) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


class Transport(Protocol):
    """How a message leaves: what `send` needs of a channel, so another can be added without touching send.

    `delivers` says whether a message handed over reaches its reader (the ledger then records
    it) or is only a preview (the outbox); `send` returns the channel's receipt, or raises
    PermanentFailure, TransientFailure, ServerGone or TransportError.
    """

    delivers: bool
    connections: int

    def open(self) -> None:
        """Get ready, or raise TransportError / TransientFailure before anything is handed over."""

    def send(self, message: EmailMessage, recipient: str) -> str:
        """Hand one message over for one recipient."""

    def close(self) -> None:
        """Let go of whatever `open` took."""


class OutboxTransport:
    """Writes each message as an .eml file into a folder instead of sending it: a dry run, to look at first."""

    delivers = False
    connections = 0

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written = 0

    def open(self) -> None:
        """Make the folder."""
        self.folder.mkdir(parents=True, exist_ok=True)

    def send(self, message: EmailMessage, recipient: str) -> str:
        """Write the message; the receipt is the file's path."""
        self.written += 1
        path = self.folder / eml_name(self.written, recipient)
        # An address in another script is written as it would travel: as UTF-8 (SMTPUTF8).
        path.write_bytes(message.as_bytes(policy=message.policy.clone(utf8=not recipient.isascii())))
        return str(path)

    def close(self) -> None:
        """Nothing to let go of."""


def eml_name(index: int, address: str) -> str:
    """A safe file name for a message written to the outbox."""
    return f"{index:04d}-{re.sub(r'[^a-z0-9]+', '-', address.lower()).strip('-')[:60]}.eml"


class SmtpTransport:
    """Hands messages to one SMTP server, reconnecting and retrying when that can help."""

    delivers = True

    def __init__(self, settings: SmtpSettings, *, retries: int = 3, backoff: float = 1.0, timeout: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.sleep = sleep
        self.connection: smtplib.SMTP | None = None
        self.connections = 0  # how many times we connected: the reuse is measurable

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.cafile)

    def connect(self) -> None:
        """Open the connection, upgrade it to TLS as configured, and log in if a user is set."""
        s = self.settings
        connection = None
        try:
            if s.security == "tls":
                connection = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout, context=self._context())
            else:
                connection = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            connection.ehlo()
            if s.security == "starttls":
                if not connection.has_extn("starttls"):
                    connection.close()
                    raise TransportError(f"{s.host}:{s.port} does not offer STARTTLS, which is required: refusing to send "
                                         "in clear text (set FACTSHEET_SMTP_SECURITY=tls for an implicit-TLS port)")
                connection.starttls(context=self._context())
                connection.ehlo()
            if s.user:
                connection.login(s.user, s.password or "")
        except ssl.SSLError as exc:
            _close(connection)
            raise TransportError(f"TLS with {s.host}:{s.port} failed: {exc.reason or exc}") from None
        except smtplib.SMTPAuthenticationError as exc:
            _close(connection)
            raise TransportError(f"{s.host} refused the login for {s.user!r}: {exc.smtp_code}") from None
        except smtplib.SMTPNotSupportedError:  # an OSError to smtplib, but no retry can help
            _close(connection)
            raise TransportError(f"{s.host} does not offer SMTP AUTH, but FACTSHEET_SMTP_USER is set: "
                                 "unset it, or use a server that accepts a login") from None
        self.connection = connection
        self.connections += 1

    def open(self) -> None:
        """Connect, retrying with backoff while the server refuses or drops the connection."""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(min(self.backoff * 2 ** (attempt - 1), 60.0))
            try:
                self.connect()
                return
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
                last = exc
        raise TransientFailure(f"cannot connect to {self.settings.host}:{self.settings.port} after "
                               f"{self.retries + 1} attempts: {last}")

    def close(self) -> None:
        """Say goodbye politely, ignoring a connection that is already gone."""
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.connection = None

    def _drop(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except OSError:
                pass
            self.connection = None

    def send(self, message: EmailMessage, recipient: str) -> str:
        """Hand one message over; return the server's reply, or raise PermanentFailure or TransientFailure."""
        last, unreachable = "", False
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(min(self.backoff * 2 ** (attempt - 1), 60.0))
            try:
                if self.connection is None:
                    unreachable = True  # until the connection is made
                    self.connect()
                unreachable = False
                try:
                    refused = self.connection.send_message(message, to_addrs=[recipient])
                except smtplib.SMTPNotSupportedError:  # a non-ASCII address, and no SMTPUTF8 on this server
                    raise PermanentFailure(553, f"{self.settings.host} does not offer SMTPUTF8, which the address "
                                                f"{recipient} needs: ask the reader for an ASCII address") from None
                if refused:
                    code, text = refused[recipient]
                    if 400 <= code < 500:
                        last = f"{code} {_reply_text(text)}"
                        continue
                    raise PermanentFailure(code, _reply_text(text))
                return "250 accepted"
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = exc.recipients.get(recipient, (550, b"refused"))
                if 400 <= code < 500:
                    last = f"{code} {_reply_text(text)}"
                    self._reset()
                    continue
                self._reset()
                raise PermanentFailure(code, _reply_text(text)) from None
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code in SESSION_REFUSALS:
                    self._drop()
                    raise ServerGone(f"{self.settings.host} refused the session: {exc.smtp_code} "
                                     f"{_reply_text(exc.smtp_error)}") from None
                if 400 <= exc.smtp_code < 500:
                    last = f"{exc.smtp_code} {_reply_text(exc.smtp_error)}"
                    self._reset()
                    continue
                self._reset()
                raise PermanentFailure(exc.smtp_code, _reply_text(exc.smtp_error)) from None
            except (smtplib.SMTPServerDisconnected, ConnectionError, socket.timeout, OSError) as exc:
                last = f"connection: {exc.__class__.__name__}: {exc}"
                self._drop()
                continue
        if unreachable:  # the last attempt could not even connect: the server is down
            raise ServerGone(f"{self.settings.host}:{self.settings.port} is not answering after "
                             f"{self.retries + 1} attempts; last: {last}")
        raise TransientFailure(f"gave up after {self.retries + 1} attempts; last: {last}")

    def _reset(self) -> None:
        """Clear a half-finished transaction so the connection can carry the next message."""
        if self.connection is not None:
            try:
                self.connection.rset()
            except (smtplib.SMTPException, OSError):
                self._drop()
