"""The one root of every error factsheet reports to a person, its exit codes, and safe echoing of input."""

from __future__ import annotations

import re

# Exit codes of every command (the README lists them).
EXIT_OK = 0
EXIT_PROBLEMS = 1  # the input has errors, or a delivery failed or is unknown
EXIT_USAGE = 2  # a bad option, or a request for something the project does not have
EXIT_ENVIRONMENT = 3  # files cannot be read or written, a worker process died, a mail server cannot be used
EXIT_STOPPED = 4  # send stopped early: the server went down or refused the session; the rest was not attempted
EXIT_REFUSED = 5  # send refused before sending: PDFs missing or out of date, or another send running
EXIT_INTERNAL = 70  # a bug in factsheet (EX_SOFTWARE)
EXIT_INTERRUPTED = 130  # Ctrl-C


class FactsheetError(Exception):
    """Something the user must act on: a message, the problems behind it (if any), and an exit code."""

    exit_code = EXIT_PROBLEMS

    def __init__(self, message: str, problems: list | tuple = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class InputError(FactsheetError):
    """The records, templates, catalogs or recipients have errors; `problems` lists them."""


class RequestError(FactsheetError):
    """A request the project cannot answer: an unknown sheet, language or template, or no project at all."""

    exit_code = EXIT_USAGE


class EnvironmentProblem(FactsheetError):
    """The machine got in the way: a folder cannot be written, the disk is full, a worker died, a server is unreachable."""

    exit_code = EXIT_ENVIRONMENT


def describe_os_error(exc: OSError, doing: str) -> EnvironmentProblem:
    """An OSError in words a person can act on, naming the file and what was being done."""
    name = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or str(exc)
    advice = {
        "ENOSPC": "free some disk space and run it again",
        "EDQUOT": "free some disk space and run it again",
        "EACCES": "check the folder's permissions, or choose another with --out",
        "EPERM": "check the folder's permissions, or choose another with --out",
        "EROFS": "choose a folder on a writable disk with --out",
        "ENOTDIR": "a file stands where a folder is needed: rename it, or choose another folder",
    }.get(_errno_name(exc.errno), "check the path and run it again")
    where = f" {name}" if name else ""
    return EnvironmentProblem(f"cannot {doing}{where}: {reason}: {advice}")


def _errno_name(number: int | None) -> str:
    import errno

    return errno.errorcode.get(number or -1, "")


# C0 and C1 controls, bidirectional controls, and characters that are invisible or
# change how a line is read (zero-width, separators, BOM): a message must show them, not obey them.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")


def printable(text: str) -> str:
    """Text safe to print on a terminal: unsafe characters shown as escapes like \\x1b or \\u202e."""
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
