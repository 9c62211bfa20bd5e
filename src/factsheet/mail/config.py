"""Mail settings: sender and list headers from settings.yaml, SMTP from the environment or settings."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Mapping

from ..errors import RequestError
from ..validate import Field, FieldError, Reader, exact_string, string
from ..yamlio import Node, Scalar
from .headers import BadAddress, UnsafeHeader, check_address, check_header_value

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to hand messages over; the password only ever comes from the environment."""

    host: str
    port: int
    security: str = "starttls"
    user: str | None = None
    password: str | None = None
    cafile: str | None = None

    def __repr__(self) -> str:  # never show the password, even in a traceback
        return f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security!r}, user={self.user!r})"

    @property
    def loopback(self) -> bool:
        """True when the server is on this machine."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


@dataclass(frozen=True)
class MailSettings:
    """The `mail` section of settings.yaml."""

    from_name: str
    from_address: str
    reply_to: str | None = None
    list_unsubscribe: str | None = None
    recipients: str | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_security: str | None = None
    smtp_user: str | None = None
    retry_after_minutes: int = 10  # a message the server asked to try later (4xx: greylisting) is tried again after this
    suppression: str | None = None  # path of the file of addresses never to send to (unsubscribed, bounced)


def header_field(what: str = "the value"):
    """A field parser for text that goes into an email header: exactly as written, no control characters."""

    def parse(r: Reader, node: Node) -> str:
        try:
            return check_header_value(exact_string(r, node), what)
        except UnsafeHeader as exc:
            raise FieldError(str(exc), "unsafe-header") from None

    return parse


_header = header_field()


def address_field(r: Reader, node: Node) -> str:
    """A field parser for exactly one complete email address."""
    try:
        return check_address(exact_string(r, node))
    except UnsafeHeader as exc:
        raise FieldError(str(exc), "unsafe-header") from None
    except BadAddress as exc:
        raise FieldError(str(exc), "bad-address") from None


def _unsubscribe(r: Reader, node: Node) -> str:
    value = _header(r, node)
    if not re.match(r"^(https://\S+|mailto:\S+@\S+)$", value):
        raise FieldError(f"expected an https:// address or mailto:address for List-Unsubscribe, got '{value}'", "bad-url")
    return value


def _port(r: Reader, node: Node) -> int:
    if not isinstance(node, Scalar) or not re.match(r"^\d{1,5}$", node.value) or not 0 < int(node.value) < 65536:
        raise FieldError("expected a port number from 1 to 65535", "bad-port")
    return int(node.value)


def _security(r: Reader, node: Node) -> str:
    value = string(r, node)
    if value not in SECURITY:
        raise FieldError(f"'{value}' is not one of {', '.join(SECURITY)}", "bad-security")
    return value


SMTP_FIELDS = {
    "host": Field(_header, required=True),
    "port": Field(_port),
    "security": Field(_security, default="starttls"),
    "user": Field(_header),
}


def _smtp(r: Reader, node: Node) -> dict:
    if isinstance(node, Scalar) or (hasattr(node, "get") and node.get("password") is not None):
        raise FieldError("the SMTP password never goes in a file: set FACTSHEET_SMTP_PASSWORD in the environment", "secret-in-file")
    values = r.record(node, SMTP_FIELDS, "smtp")
    return values or {}


MAIL_FIELDS = {
    "from_name": Field(_header, required=True, hint="the sender name readers see, like 'Factsheet Briefing Desk'"),
    "from_address": Field(address_field, required=True, hint="the sender address, like briefings@example.org"),
    "reply_to": Field(address_field),
    "list_unsubscribe": Field(_unsubscribe),
    "recipients": Field(string, hint="path of the recipients file, relative to the project folder"),
    "suppression": Field(string, hint="path of a file of addresses never to send to, one per line"),
    "smtp": Field(_smtp, default={}),
    "retry_after_minutes": Field(lambda r, n: _minutes(r, n), default=10,
                                 hint="how long to wait before trying again a message the server deferred"),
}


def _minutes(r: Reader, node: Node) -> int:
    if not isinstance(node, Scalar) or not re.match(r"^\d{1,4}$", node.value) or not 1 <= int(node.value) <= 1440:
        raise FieldError("expected a number of minutes from 1 to 1440, like 10", "bad-number")
    return int(node.value)


def read_mail_settings(r: Reader, node: Node) -> MailSettings | None:
    """Read the `mail` section of settings.yaml."""
    values = r.record(node, MAIL_FIELDS, "mail settings")
    if not values or not values["from_name"] or not values["from_address"]:
        return None
    smtp = values["smtp"] or {}
    return MailSettings(values["from_name"], values["from_address"], values["reply_to"], values["list_unsubscribe"],
                        values["recipients"], smtp.get("host"), smtp.get("port"), smtp.get("security"), smtp.get("user"),
                        values["retry_after_minutes"], values["suppression"])


class SmtpConfigError(RequestError):
    """SMTP settings that are missing or unsafe."""


def smtp_settings(mail: MailSettings | None, environ: Mapping[str, str], allow_insecure: bool = False) -> SmtpSettings:
    """SMTP settings: FACTSHEET_SMTP_* environment variables override settings.yaml; refuse unsafe combinations."""
    host = environ.get("FACTSHEET_SMTP_HOST") or (mail.smtp_host if mail else None)
    if not host:
        raise SmtpConfigError("no SMTP server: set FACTSHEET_SMTP_HOST, or mail.smtp.host in settings.yaml")
    for name in ("HOST", "USER", "PASSWORD", "SECURITY", "PORT", "CAFILE"):
        value = environ.get(f"FACTSHEET_SMTP_{name}")
        if value and any(c in value for c in "\r\n"):
            raise SmtpConfigError(f"FACTSHEET_SMTP_{name} contains a line break")
    security = environ.get("FACTSHEET_SMTP_SECURITY") or (mail.smtp_security if mail else None) or "starttls"
    if security not in SECURITY:
        raise SmtpConfigError(f"FACTSHEET_SMTP_SECURITY must be one of {', '.join(SECURITY)}, got {security!r}")
    port_text = environ.get("FACTSHEET_SMTP_PORT")
    if port_text and not port_text.isdigit():
        raise SmtpConfigError(f"FACTSHEET_SMTP_PORT must be a number, got {port_text!r}")
    port = int(port_text) if port_text else (mail.smtp_port if mail and mail.smtp_port else DEFAULT_PORTS[security])
    settings = SmtpSettings(host, port, security, environ.get("FACTSHEET_SMTP_USER") or (mail.smtp_user if mail else None),
                            environ.get("FACTSHEET_SMTP_PASSWORD") or None, environ.get("FACTSHEET_SMTP_CAFILE") or None)
    if security == "none" and not settings.loopback and not allow_insecure:
        raise SmtpConfigError(f"refusing to send unencrypted to {host}: security 'none' is allowed only for a loopback "
                              "host (localhost, 127.0.0.1) or with --allow-insecure")
    if security == "none" and settings.password and not settings.loopback:
        raise SmtpConfigError("refusing to send a password over an unencrypted connection: use starttls or tls")
    return settings
