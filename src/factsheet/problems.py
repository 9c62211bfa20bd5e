"""Problems found in an editor's input, each tied to a file, line and column."""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import printable


class Severity(enum.Enum):
    """How serious a problem is; only errors stop a build."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, order=True, slots=True)
class Loc:
    """A place in a file: 1-based line and column."""

    path: Path
    line: int = 0
    column: int = 0


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (or worth knowing) about the input, and where it is."""

    loc: Loc
    severity: Severity
    code: str
    message: str
    language: str | None = None  # the one language a translation problem concerns (check --lang, build --strict)

    @property
    def is_error(self) -> bool:
        """True when this problem must stop a build."""
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple:
        """Order by file, then line and column, then code."""
        return (str(self.loc.path), self.loc.line, self.loc.column, self.code, self.message)

    def format(self, relative_to: Path | None = None) -> str:
        """Render as `path:line:col: severity: message [code]`."""
        return (f"{printable(display_path(self.loc.path, relative_to))}:{self.loc.line}:{self.loc.column}: "
                f"{self.severity.value}: {printable(self.message)} [{self.code}]")

    def to_json(self, relative_to: Path | None = None) -> dict:
        """Render as a plain dict for JSON output."""
        return {
            "path": printable(display_path(self.loc.path, relative_to)),
            "line": self.loc.line,
            "column": self.loc.column,
            "severity": self.severity.value,
            "code": self.code,
            "message": printable(self.message),
        }


def display_path(path: Path, relative_to: Path | None) -> str:
    """Show a path relative to `relative_to` when it lies below it."""
    if relative_to is not None:
        # Without following links first, so that a link is named where it is, not where it leads.
        for norm in (os.path.abspath, lambda p: Path(p).resolve()):
            try:
                return str(Path(norm(path)).relative_to(Path(norm(relative_to))))
            except ValueError:
                continue
    return str(path)


class Problems:
    """A collector that records problems in the order they are found."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, loc: Loc, severity: Severity, code: str, message: str, language: str | None = None) -> None:
        """Record one problem."""
        self.items.append(Problem(loc, severity, code, message, language))

    def error(self, loc: Loc, code: str, message: str, language: str | None = None) -> None:
        """Record an error."""
        self.add(loc, Severity.ERROR, code, message, language)

    def warning(self, loc: Loc, code: str, message: str, language: str | None = None) -> None:
        """Record a warning."""
        self.add(loc, Severity.WARNING, code, message, language)

    def note(self, loc: Loc, code: str, message: str) -> None:
        """Record a note."""
        self.add(loc, Severity.NOTE, code, message)


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Sort by file and position and drop exact repeats."""
    unique = {(p.loc, p.severity, p.code, p.message): p for p in problems}
    return sorted(unique.values(), key=Problem.sort_key)


def summarize(problems: list[Problem], files: int) -> str:
    """One line counting errors, warnings and notes."""
    counts = {s: sum(1 for p in problems if p.severity is s) for s in Severity}
    parts = [
        _plural(counts[Severity.ERROR], "error"),
        _plural(counts[Severity.WARNING], "warning"),
        _plural(counts[Severity.NOTE], "note"),
    ]
    checked = _plural(files, "file")
    if not problems:
        return f"No problems found in {checked}."
    return f"{', '.join(parts)} in {checked}."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
