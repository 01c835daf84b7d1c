"""The CI gate: `python -m qm_specs.validate` on the repo configs and on the broken fixture set."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
BROKEN = Path(__file__).resolve().parent / "fixtures" / "broken"
EXPECTED = BROKEN.parent / "broken_expected.txt"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qm_specs.validate", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_file_under_configs_validates() -> None:
    result = _run()
    assert result.returncode == 0, result.stdout
    assert result.stdout == ""
    assert " 0 problems" in result.stderr


def test_legacy_warnings_are_printed_as_warnings_not_errors() -> None:
    result = _run("configs")
    warnings = [line for line in result.stderr.splitlines() if ": warning: " in line]
    assert len(warnings) == 32
    assert all(line.startswith("configs/serving/derivative_baseline.yaml: ") for line in warnings)


def test_broken_fixture_set_fails_with_the_expected_messages() -> None:
    result = _run(str(BROKEN.relative_to(REPO)))
    assert result.returncode == 1
    assert result.stdout.splitlines() == EXPECTED.read_text().splitlines()


def test_each_broken_class_is_present_in_the_expectations() -> None:
    text = EXPECTED.read_text()
    for needle in (
        "unknown key 'colour_scheme'",
        "it was renamed to 'neutral_threshold'",
        "got 'float32'",
        "field 'composite' is gold but the stream of model 'silver_grid' carries only silver",
        "horizon 250 ms is not a whole multiple of the cell width 100 ms",
        "no pipeline spec named 'no_such_pipeline'",
        "Input should be a valid integer, got '100'",
        "invalid YAML: key 'engine' is written twice",
    ):
        assert needle in text


def test_one_file_resolves_its_references_against_refs() -> None:
    alone = _run("configs/serving/qmdemo_vp.yaml")
    assert alone.returncode == 1
    assert "pipeline: no pipeline spec named 'qmdemo_synth_60m'" in alone.stdout
    with_refs = _run("configs/serving/qmdemo_vp.yaml", "--refs", "configs")
    assert with_refs.returncode == 0, with_refs.stdout
    assert "1 files, 0 problems" in with_refs.stderr


def test_a_missing_path_is_an_error(tmp_path: Path) -> None:
    assert _run(str(tmp_path / "absent")).returncode == 2
    assert _run(str(tmp_path)).returncode == 1  # an empty folder holds no specs: not a pass
