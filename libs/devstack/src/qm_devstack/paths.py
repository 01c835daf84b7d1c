"""Where things live: the repository root (found from the working directory) and its files."""

from __future__ import annotations

from pathlib import Path


def repo_root(start: Path | None = None) -> Path:
    """The nearest directory at or above `start` (default: cwd) holding gateway/routes.yaml."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "gateway" / "routes.yaml").is_file():
            return candidate
    source_root = Path(__file__).resolve().parents[4]
    if (source_root / "gateway" / "routes.yaml").is_file():
        return source_root
    raise FileNotFoundError("run from inside the qMachina repository (gateway/routes.yaml)")
