"""Golden snapshots: the resolved config and effective hash of every spec under a configs folder.

Tests compare the stored files with a fresh render, so any change in how a canonical spec parses
or resolves shows up as a reviewed diff. `python -m qm_specs.golden` rewrites them.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from qm_specs.legacy import LegacySpecWarning
from qm_specs.loader import load_file, spec_files
from qm_specs.resolve import SpecRegistry, effective_hash, resolved_config

CHAIN_KINDS = frozenset({"instrument", "pipeline", "serving", "experiment"})
"""The kinds of the spec chain; other kinds under configs/ are validated but not snapshotted."""


def render_snapshots(configs: Path) -> dict[str, str]:
    """Snapshot file name (`<folder>__<stem>.json`) -> JSON text, one per spec-chain file."""
    files = spec_files([configs])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LegacySpecWarning)
        loaded = [(f, load_file(f)) for f in files]
    docs = {f: d for f, d in loaded if d.kind in CHAIN_KINDS or d.kind is None}
    bad = [p.render() for d in docs.values() for p in d.problems]
    if bad:
        raise ValueError("cannot snapshot invalid specs: " + "; ".join(bad))
    reg = SpecRegistry(d.spec for d in docs.values() if d.spec is not None)
    out = {}
    for path, doc in docs.items():
        assert doc.spec is not None  # guaranteed by the problem check above
        rel = path.relative_to(configs)
        body = {
            "source": f"configs/{rel.as_posix()}",
            "effective_hash": effective_hash(doc.spec, reg),
            "resolved": resolved_config(doc.spec, reg),
        }
        name = "__".join(rel.with_suffix(".json").parts)
        out[name] = json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return out


def write_snapshots(configs: Path, out_dir: Path) -> int:
    """Replace every snapshot in `out_dir` with a fresh render; returns how many were written."""
    rendered = render_snapshots(configs)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.json"):
        stale.unlink()
    for name, text in rendered.items():
        (out_dir / name).write_text(text, encoding="utf-8")
    return len(rendered)
