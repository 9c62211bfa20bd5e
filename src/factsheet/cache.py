"""A small cache outside the repository for work that is the same from run to run.

Entries are keyed by a hash of their inputs' content, so a changed input
simply misses. Each file carries a checksum of its payload; an entry that is
truncated, altered or unreadable is deleted and rebuilt, never used. The
payload is `marshal` data (plain values only), which cannot run code when
read, unlike pickle.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import tempfile
from importlib import resources
from pathlib import Path
from typing import Callable, Mapping

MAGIC = b"factsheet-cache-1\n"


def cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """FACTSHEET_CACHE_DIR, else $XDG_CACHE_HOME/factsheet, else ~/.cache/factsheet."""
    return _cache_dir(environ.get("FACTSHEET_CACHE_DIR"), environ.get("XDG_CACHE_HOME"), environ.get("HOME"))


@functools.lru_cache(maxsize=8)  # asked once per entry read, thousands of times in a large build
def _cache_dir(explicit: str | None, xdg: str | None, home: str | None) -> Path:
    if explicit:
        return Path(explicit)
    base = Path(xdg) if xdg else (Path(home) if home else Path.home()) / ".cache"
    return base / "factsheet"


def _path(kind: str, key: str) -> Path:
    return cache_dir() / kind / f"{key}.bin"


def read(kind: str, key: str):
    """The cached value, or None when absent or damaged (a damaged entry is removed)."""
    path = _path(kind, key)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    payload = data[len(MAGIC) + 32:]
    if data[:len(MAGIC)] != MAGIC or hashlib.sha256(payload).digest() != data[len(MAGIC):len(MAGIC) + 32]:
        path.unlink(missing_ok=True)
        return None
    try:
        return marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        path.unlink(missing_ok=True)
        return None


def has(kind: str, key: str) -> bool:
    """True when an entry is there (whether it is intact shows only when it is read)."""
    return _path(kind, key).is_file()


def write(kind: str, key: str, value) -> None:
    """Store a value atomically; a cache that cannot be written is simply not used."""
    path = _path(kind, key)
    try:
        payload = marshal.dumps(value)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as stream:
            stream.write(MAGIC + hashlib.sha256(payload).digest() + payload)
        os.replace(temp, path)
    except (OSError, ValueError):
        pass


def cached(kind: str, key: str, make: Callable[[], object], valid: Callable[[object], bool] = lambda value: True):
    """The cached value for key, or make() it, store it and return it."""
    value = read(kind, key)
    if value is not None and valid(value):
        return value
    value = make()
    write(kind, key, value)
    return value


@functools.cache
def code_fingerprint() -> str:
    """One hash over factsheet's version, code and catalogs: a new version rebuilds and rereads everything."""
    from . import __version__

    digest = hashlib.sha256(__version__.encode())
    for name, node in walk(resources.files("factsheet")):
        if name.endswith((".py", ".po")):
            digest.update(name.encode())
            digest.update(node.read_bytes())
    return digest.hexdigest()


def walk(folder, prefix: str = ""):
    """Every file below a package folder as (relative name, Traversable), in a stable order."""
    for node in sorted(folder.iterdir(), key=lambda n: n.name):
        if node.is_dir():
            if node.name != "__pycache__":
                yield from walk(node, f"{prefix}{node.name}/")
        else:
            yield prefix + node.name, node
