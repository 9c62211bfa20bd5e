"""Pyphen's hyphenation dictionaries, parsed once and kept in the cache.

ReportLab hyphenates through pyphen, which parses a language's dictionary the
first time a process asks for it: about 14,000 patterns and 45 ms for British
English, and every worker process of a build paid that again for each of its
languages. The parsed patterns are plain values, so they are kept in the cache
(by the dictionary file and pyphen's version) and put into pyphen's own
per-process table, where ReportLab's next request finds them.
"""

from __future__ import annotations

import hashlib

from . import cache


def load(language: str) -> None:
    """Have pyphen's dictionary for `language` (like en_GB) parsed in this process, from the cache when it can be."""
    import pyphen

    path = pyphen.LANGUAGES[pyphen.language_fallback(language)]
    if path in pyphen.hdcache:
        return
    info = path.stat() if hasattr(path, "stat") else None
    key = hashlib.sha256(f"{path}\0{info and info.st_size}\0{info and info.st_mtime_ns}\0{pyphen.__version__}"
                         .encode()).hexdigest()[:40]
    patterns = cache.read("hyphenation", key)
    if not isinstance(patterns, dict) or not patterns:
        parsed = pyphen.HyphDict(path)
        pyphen.hdcache[path] = parsed
        # A dictionary with nonstandard hyphenation stores objects, not numbers: pyphen parses that one itself.
        if all(type(value) is int for _, values in parsed.patterns.values() for value in values):
            cache.write("hyphenation", key, parsed.patterns)
        return
    dictionary = pyphen.HyphDict.__new__(pyphen.HyphDict)
    dictionary.patterns, dictionary.cache = patterns, {}
    dictionary.maxlen = max(len(pattern) for pattern in patterns)
    pyphen.hdcache[path] = dictionary
