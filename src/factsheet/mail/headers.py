"""Header safety: values that cannot inject headers, and addresses that are one complete address."""

from __future__ import annotations

import re
from email.header import decode_header

# One address: a local part and a domain with at least one dot, nothing else.
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


# A local part with letters outside ASCII: anything but spaces, controls and the characters that delimit addresses.
_UNICODE_LOCAL = re.compile(r'^[^\s@<>(),;:"\[\]\\]+$')


class UnsafeHeader(ValueError):
    """A value that would break out of its email header."""


class BadAddress(ValueError):
    """A value that is not exactly one complete email address."""


def check_header_value(value: str, what: str) -> str:
    """Refuse a header value carrying CR, LF, other control characters or line separators, also inside encoded words."""
    decoded = value
    if "=?" in value:
        try:
            decoded = "".join(part.decode(charset or "ascii", errors="replace") if isinstance(part, bytes) else part
                              for part, charset in decode_header(value))
        except (ValueError, LookupError):
            raise UnsafeHeader(f"{what} has a malformed encoded word: remove the '=?...?=' text") from None
    for text in (value, decoded):
        bad = next((c for c in text if c in "\r\n\x85\u2028\u2029" or (ord(c) < 32 and c != "\t") or ord(c) == 127), None)
        if bad is not None:
            raise UnsafeHeader(f"{what} contains a control character (U+{ord(bad):04X}), which could inject email headers: remove it")
    return value


def check_address(value: str) -> str:
    """One complete email address (local@domain.tld); raise UnsafeHeader or BadAddress saying what is wrong."""
    check_header_value(value, "the address")
    if any(sep in value for sep in (",", ";")) or value.count("@") > 1:
        raise BadAddress(f"'{value}' holds more than one address: give each recipient an entry of their own")
    if "<" in value or ">" in value or " " in value.strip():
        raise BadAddress(f"'{value}' is not a plain address: write only the address (name@example.org) and put the name in 'name'")
    if "@" not in value:
        raise BadAddress(f"'{value}' has no '@': write a complete address like name@example.org")
    local, _, domain = value.strip().rpartition("@")
    try:  # an internationalised domain (bücher.example) travels as its ASCII form (xn--bcher-kva.example)
        domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        raise BadAddress(f"'{value}' has a domain that is not a valid internationalised name") from None
    # A local part in another script (用户@example.org) is sent with SMTPUTF8, to a server that offers it.
    ascii_local = local if local.isascii() else "x" if _UNICODE_LOCAL.match(local) else ""
    if not ascii_local or not _ADDRESS.match(f"{ascii_local}@{domain}"):
        raise BadAddress(f"'{value}' is not a complete address: write it like name@example.org")
    return f"{local}@{domain}"


