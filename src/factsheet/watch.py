"""`watch`: notice changes under factsheets/, translations/, templates/ and locale/ and rebuild what changed.

Polling file times keeps this dependency-free and works on every file
system; a change is acted on once it has stopped changing for one interval,
so an editor's save-in-several-steps triggers one rebuild.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

WATCHED = ("factsheets", "translations", "templates", "locale")


def snapshot(root: Path) -> dict:
    """Modification time and size of every file that can change a build."""
    state = {}
    for folder in WATCHED:
        base = root / folder
        if base.is_dir():
            for path in base.rglob("*"):
                if path.is_file() and not path.name.startswith("."):
                    try:
                        info = path.stat()
                    except OSError:
                        continue  # removed while we looked
                    state[path] = (info.st_mtime_ns, info.st_size)
    return state


def changed_files(before: dict, after: dict) -> list[Path]:
    """Files added, removed or modified between two snapshots."""
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


def watch(root: Path, on_change: Callable[[list[Path]], None], *, interval: float = 0.5,
          sleep: Callable[[float], None] = time.sleep, keep_going: Callable[[], bool] = lambda: True) -> None:
    """Call on_change(files) after each settled change, until keep_going() is false or Ctrl-C."""
    current = snapshot(root)
    while keep_going():
        sleep(interval)
        latest = snapshot(root)
        if latest == current:
            continue
        while True:  # wait until the files stop changing
            sleep(interval)
            settled = snapshot(root)
            if settled == latest:
                break
            latest = settled
        files = changed_files(current, latest)
        current = latest
        on_change(files)
