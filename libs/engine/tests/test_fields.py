"""The produced-column manifest: disjoint stages, stable names, light import."""

import subprocess
import sys

import pytest

from qm_engine.fields import GOLD_NAMES, SILVER_NAMES, EngineParams, produced_fields


def test_silver_and_gold_are_disjoint_and_complete() -> None:
    assert not set(SILVER_NAMES) & set(GOLD_NAMES)
    produced = produced_fields()
    assert len(produced) == len(SILVER_NAMES) + len(GOLD_NAMES)
    assert produced["state5_code"].stage == "gold"
    assert produced["v_add"].family == "velocity"
    assert produced["k"].dtype == "int32"


def test_importing_manifest_does_not_import_numba() -> None:
    code = "import sys, qm_engine.fields; assert 'numba' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_param_override_is_rejected() -> None:
    params = EngineParams().with_overrides({"cell_width_ms": 50, "flow_windows": [3, 6]})
    assert params.cell_width_ms == 50
    assert params.flow_windows == (3, 6)
    with pytest.raises(KeyError, match="nope"):
        EngineParams().with_overrides({"nope": 1})
