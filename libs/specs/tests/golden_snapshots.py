"""Renders the golden snapshot of every canonical spec: its resolved config and effective hash.

Regenerate after an intended change with:
    uv run --frozen python libs/specs/tests/golden_snapshots.py
then review the diff under libs/specs/tests/golden/ like any other change.
"""

from __future__ import annotations

import json
import warnings

from specs_paths import CONFIGS, GOLDEN, REPO

from qm_specs import LegacySpecWarning, SpecRegistry, effective_hash, resolved_config
from qm_specs.validate import load_documents


def render_snapshots() -> dict[str, str]:
    """File name -> JSON text, one per spec file under configs/."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LegacySpecWarning)
        docs = load_documents([CONFIGS])
    reg = SpecRegistry(d.spec for d in docs if d.spec is not None)
    out = {}
    for doc in docs:
        assert doc.spec is not None, doc.problems
        rel = (REPO / doc.file).relative_to(CONFIGS)
        body = {
            "source": f"configs/{rel.as_posix()}",
            "effective_hash": effective_hash(doc.spec, reg),
            "resolved": resolved_config(doc.spec, reg),
        }
        name = "__".join(rel.with_suffix(".json").parts)
        out[name] = json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return out


def main() -> None:
    """Rewrite the golden folder from the current configs and code."""
    GOLDEN.mkdir(exist_ok=True)
    for stale in GOLDEN.glob("*.json"):
        stale.unlink()
    for name, text in render_snapshots().items():
        (GOLDEN / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
