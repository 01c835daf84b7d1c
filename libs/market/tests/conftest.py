"""Market test fixtures: one small synthetic session shared by the tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from qm_market.instruments import load_instrument
from qm_market.synth import SynthSpec, write_session

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def instruments_dir() -> Path:
    """configs/instruments of this repository."""
    return REPO / "configs" / "instruments"


@pytest.fixture(scope="session")
def synth_file(tmp_path_factory: pytest.TempPathFactory, instruments_dir: Path) -> Path:
    """A 1-minute synthetic QMDEMO session as .dbn.zst."""
    spec = SynthSpec(
        load_instrument(instruments_dir / "QMDEMO.yaml"), date(2026, 3, 2), "09:30", 1.0, 5
    )
    out = tmp_path_factory.mktemp("synth") / "demo.dbn.zst"
    write_session(spec, out)
    return out
