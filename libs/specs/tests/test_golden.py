"""Golden snapshots: how every canonical spec parses and resolves, so any change shows as a diff."""

from __future__ import annotations

import json
from pathlib import Path

from qm_specs import canonical_hash
from qm_specs.golden import render_snapshots

GOLDEN = Path(__file__).resolve().parent / "golden"
CONFIGS = Path(__file__).resolve().parents[3] / "configs"


def test_golden_snapshots_match() -> None:
    rendered = render_snapshots(CONFIGS)
    stored = {p.name: p.read_text(encoding="utf-8") for p in GOLDEN.glob("*.json")}
    assert sorted(rendered) == sorted(stored), "regenerate: python -m qm_specs.golden"
    for name, text in rendered.items():
        assert text == stored[name], f"{name} changed; review and regenerate if intended"


def test_stored_hashes_are_the_canonical_hash_of_the_stored_resolved_config() -> None:
    for path in GOLDEN.glob("*.json"):
        body = json.loads(path.read_text(encoding="utf-8"))
        assert body["effective_hash"] == canonical_hash(body["resolved"]), path.name


def test_every_kind_has_a_canonical_example() -> None:
    kinds = {json.loads(p.read_text())["resolved"].get("kind") for p in GOLDEN.glob("*.json")}
    names = {p.name.split("__")[0] for p in GOLDEN.glob("*.json")}
    assert {"instruments", "pipeline", "serving", "experiment"} <= names
    assert "instrument" in kinds


def test_canonical_serving_snapshot_is_complete() -> None:
    body = json.loads((GOLDEN / "serving__qmdemo_vp.json").read_text())
    snap = body["resolved"]
    assert snap["instrument"]["symbol"] == "QMDEMO"
    assert snap["pipeline"]["source"] == {"kind": "synthetic", "seed": 7}
    assert snap["engine"]["tick_size"] == 0.5  # null in the engine defaults: the instrument's
    assert snap["serving"]["projection"]["horizons_bins"] == [1, 2, 5, 10]
    assert snap["serving"]["stages"] == ["silver", "gold"]
