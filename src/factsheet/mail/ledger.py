"""The send ledger: an append-only JSON-lines file recording intent before and outcome after each hand-over.

A message is due unless the ledger says the server accepted it (for the same
recipient and the same PDF content). An intent with no outcome means the
process died between handing the message over and hearing the reply: the
message may or may not have gone, so it is reported as unknown and not sent
again unless asked.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

SENT, FAILED, UNKNOWN, DUE = "sent", "failed", "unknown", "due"


@dataclass(frozen=True)
class Entry:
    """The latest thing the ledger knows about one delivery key."""

    state: str
    detail: str = ""
    retry_at: str | None = None  # for a deferred message (4xx): not tried again before this time (ISO 8601)


class Ledger:
    """Read the ledger once, then append one line per event, each flushed to disk before going on."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, Entry] = {}
        self.deliveries: dict[str, tuple[str, dict]] = {}  # key -> (recipient, {sheet: edition}) from its intent
        self._handle = None
        self._load()

    def _load(self) -> None:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return
        for line in lines:
            try:
                event = json.loads(line)
                key, kind = event["key"], event["event"]
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash: the event it began never completed
            if kind == "intent":
                self.entries[key] = Entry(UNKNOWN, event.get("message_id", ""))
                self._remember(key, event)
            elif kind == "sent":
                self.entries[key] = Entry(SENT, event.get("reply", ""))
            elif kind == "failed":
                self.entries[key] = Entry(FAILED, event.get("error", ""), event.get("retry_at"))
            elif kind == "resend":
                self.entries.pop(key, None)

    def _remember(self, key: str, event: dict) -> None:
        sheets = event.get("sheets")
        if sheets is None and isinstance(event.get("files"), dict):
            # Written before editions were recorded: what was sent then counts as each sheet's first edition.
            sheets = {name.split(".")[0]: 1 for name in event["files"]}
        if isinstance(event.get("recipient"), str) and isinstance(sheets, dict):
            self.deliveries[key] = (event["recipient"].lower(), sheets)

    def editions(self, address: str, state: str) -> dict:
        """The latest edition of each sheet in the deliveries to `address` that are in `state` (sent, or unknown)."""
        found: dict = {}
        for key, (recipient, sheets) in self.deliveries.items():
            if recipient == address.lower() and self.state(key) == state:
                for sheet, edition in sheets.items():
                    if isinstance(edition, int):
                        found[sheet] = max(found.get(sheet, 0), edition)
        return found

    def unknown(self, address: str) -> list[str]:
        """The keys of the deliveries to `address` whose outcome was never heard."""
        return [key for key, (recipient, _) in self.deliveries.items()
                if recipient == address.lower() and self.state(key) == UNKNOWN]

    def retry_at(self, key: str) -> dt.datetime | None:
        """When a deferred delivery may be tried again, if the server asked to wait."""
        entry = self.entries.get(key)
        return dt.datetime.fromisoformat(entry.retry_at) if entry and entry.state == FAILED and entry.retry_at else None

    def state(self, key: str) -> str:
        """sent, failed, unknown, or due (never tried)."""
        entry = self.entries.get(key)
        return entry.state if entry else DUE

    def record(self, key: str, event: str, **fields) -> None:
        """Append one event; an intent is on disk before this returns.

        Only the intent must survive a crash before the message is handed over:
        an outcome lost in a crash leaves the intent alone, which the next run
        reports as unknown and does not resend, so outcomes are flushed but not
        synced, saving a disk sync per message.
        """
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a+b")
            self._handle.seek(0, os.SEEK_END)
            if self._handle.tell():
                self._handle.seek(-1, os.SEEK_END)
                if self._handle.read(1) != b"\n":
                    self._handle.write(b"\n")  # a line cut short by a crash must not swallow this event
            self._handle.seek(0, os.SEEK_END)
        line = json.dumps({"event": event, "key": key, **fields}, ensure_ascii=False, sort_keys=True)
        self._handle.write((line + "\n").encode("utf-8"))
        self._handle.flush()
        if event == "intent":
            os.fsync(self._handle.fileno())
        self.entries[key] = Entry({"intent": UNKNOWN, "sent": SENT, "failed": FAILED}.get(event, DUE), "",
                                  fields.get("retry_at"))
        if event == "intent":
            self._remember(key, fields)

    def close(self) -> None:
        """Sync and close the file."""
        if self._handle is not None:
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None
