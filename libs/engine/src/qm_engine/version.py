"""Engine version: package version plus a digest of the kernel sources (changes ids on edits)."""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

_SOURCES = (
    "_book.py",
    "_core.py",
    "_gold.py",
    "_layout.py",
    "_orders.py",
    "_physics.py",
    "engine.py",
    "gold.py",
    "fields.py",
    "params.py",
    "dataset/_tables.py",
    "dataset/_writer.py",
)


def _digest() -> str:
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for name in _SOURCES:
        h.update(name.encode() + b"\0" + (here / name).read_bytes())
    return h.hexdigest()[:12]


ENGINE_VERSION = f"{metadata.version('qm-engine')}+{_digest()}"
