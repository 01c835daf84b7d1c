"""Engine test fixtures: the reference engine on sys.path and small synthetic sessions."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from qm_market.dbn_file import read_all
from qm_market.instruments import load_instrument
from qm_market.synth import SynthSpec, write_session

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE))  # engine_reference lives next to the tests (never in src/)


@pytest.fixture(scope="session")
def es_instrument_path() -> Path:
    """configs/instruments/ESZ6.yaml of this repository."""
    return REPO / "configs" / "instruments" / "ESZ6.yaml"


@pytest.fixture(scope="session")
def synth_session(tmp_path_factory: pytest.TempPathFactory, es_instrument_path: Path) -> Path:
    """A 2-minute synthetic ESZ6 session (.dbn.zst), generated once per test run."""
    spec = SynthSpec(load_instrument(es_instrument_path), date(2026, 3, 2), "09:25", 2.0, 11)
    out = tmp_path_factory.mktemp("synth") / "esz6.dbn.zst"
    write_session(spec, out)
    return out


@pytest.fixture(scope="session")
def synth_records(synth_session: Path) -> np.ndarray:  # type: ignore[type-arg]
    """All records of the synthetic session."""
    return read_all(synth_session)
