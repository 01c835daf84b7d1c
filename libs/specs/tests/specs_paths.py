"""Filesystem locations the qm_specs tests read (repo configs, fixtures, golden snapshots)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
CONFIGS = REPO / "configs"
TESTS = Path(__file__).resolve().parent
BROKEN = TESTS / "fixtures" / "broken"
GOLDEN = TESTS / "golden"
