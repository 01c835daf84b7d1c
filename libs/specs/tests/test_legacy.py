"""Legacy shim: explicit alias table, warnings naming file/key/replacement, and migrate."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from qm_specs import LegacySpecWarning, SpecRegistry, effective_hash, load_file, parse_document
from qm_specs.legacy import FEATURE_ROLE_BY_FAMILY, LEGACY_ROLES, legacy_role_target
from qm_specs.loader import Document
from qm_specs.migrate import MigrationError, dump_yaml, migrate_document
from qm_specs.validate import validate_documents

CONFIGS = Path(__file__).resolve().parents[3] / "configs"
BASELINE = CONFIGS / "serving" / "derivative_baseline.yaml"


@pytest.mark.parametrize(
    ("role", "field", "expected"),
    [
        ("index", "k", "grid_index"),
        ("score", "composite", "signal"),
        ("feature", "add_mass", "force"),
        ("feature", "bid_depth", "force"),
        ("feature", "pressure_variant", "force"),
        ("feature", "v_fill", "velocity"),
        ("feature", "a_rest_depth", "acceleration"),
        ("feature", "j_ask_depth", "jerk"),
        ("feature", "flow_score", None),
        ("feature", "microstate_id", None),
        ("feature", "nonexistent", None),
    ],
)
def test_alias_table(role: str, field: str, expected: str | None) -> None:
    assert legacy_role_target(role, field) == expected


def test_alias_table_is_explicit_and_closed() -> None:
    assert set(LEGACY_ROLES) == {"index", "feature", "score"}
    assert set(FEATURE_ROLE_BY_FAMILY.values()) == {"force", "velocity", "acceleration", "jerk"}


def _load_baseline() -> Document:
    with pytest.warns(LegacySpecWarning) as record:
        doc = load_file(BASELINE, "derivative_baseline.yaml")
    assert len(record) == len(doc.warnings)
    return doc


def test_derivative_baseline_parses_through_the_shim_with_warnings() -> None:
    doc = _load_baseline()
    assert doc.problems == []
    assert doc.spec is not None
    rendered = [w.render() for w in doc.warnings]
    assert (
        "derivative_baseline.yaml: scoring.threshold_neutral: deprecated key 'threshold_neutral' "
        "was renamed to 'neutral_threshold'" in rendered
    )
    assert (
        "derivative_baseline.yaml: stream_schema[0].role: legacy role 'index' on field 'k' "
        "is now 'grid_index'" in rendered
    )
    role_warnings = [w for w in doc.warnings if w.path.endswith(".role")]
    assert len(role_warnings) == 31
    assert len(doc.spec.stream_schema) == 40  # type: ignore[attr-defined]
    assert doc.spec.scoring.neutral_threshold == 0.15  # type: ignore[attr-defined]


def test_the_renamed_key_is_not_silently_dropped() -> None:
    raw = yaml.safe_load(BASELINE.read_text())
    raw["scoring"]["threshold_neutral"] = 0.4
    with pytest.warns(LegacySpecWarning):
        doc = parse_document("b.yaml", raw)
    assert doc.spec.scoring.neutral_threshold == 0.4  # type: ignore[union-attr]


def test_old_and_new_key_together_is_a_problem() -> None:
    raw = yaml.safe_load(BASELINE.read_text())
    raw["scoring"]["neutral_threshold"] = 0.2
    with pytest.warns(LegacySpecWarning):
        doc = parse_document("b.yaml", raw)
    assert [p.render() for p in doc.problems] == [
        "b.yaml: scoring.threshold_neutral: both 'threshold_neutral' and its replacement "
        "'neutral_threshold' are set"
    ]


def test_unmappable_legacy_role_is_a_problem_not_a_guess() -> None:
    raw = yaml.safe_load(BASELINE.read_text())
    raw["stream_schema"].append({"name": "flow_score", "dtype": "float64", "role": "feature"})
    with pytest.warns(LegacySpecWarning):
        doc = parse_document("b.yaml", raw)
    assert [p.render() for p in doc.problems] == [
        "b.yaml: stream_schema[40].role: legacy role 'feature' on field 'flow_score' has no "
        "current equivalent"
    ]


def test_migrated_baseline_validates_without_warnings_and_keeps_its_hash(
    config_docs: list[Document], registry: SpecRegistry
) -> None:
    legacy = _load_baseline()
    migrated_raw, applied = migrate_document("b.yaml", yaml.safe_load(BASELINE.read_text()))
    assert len(applied) == 32
    migrated = parse_document("b.yaml", yaml.safe_load(dump_yaml(migrated_raw)))
    assert migrated.warnings == []
    assert migrated.problems == []
    assert migrated.spec is not None
    assert legacy.spec is not None
    others = [d for d in config_docs if d.name != "derivative_baseline"]
    assert validate_documents([*others, migrated]).problems == []
    assert effective_hash(migrated.spec, registry) == effective_hash(legacy.spec, registry)


def test_migrating_a_current_file_changes_nothing() -> None:
    raw = yaml.safe_load((CONFIGS / "serving" / "qmdemo_vp.yaml").read_text())
    assert migrate_document("x.yaml", raw) == (raw, [])
    with pytest.raises(MigrationError):
        migrate_document("x.yaml", ["not", "a", "spec"])


def test_migrate_cli_leaves_a_current_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "qmdemo_vp.yaml"
    shutil.copy(CONFIGS / "serving" / "qmdemo_vp.yaml", target)
    before = target.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "qm_specs.migrate", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "already in the current form" in result.stderr
    assert target.read_bytes() == before


def test_migrate_cli_rewrites_the_file_in_place(tmp_path: Path) -> None:
    target = tmp_path / "derivative_baseline.yaml"
    shutil.copy(BASELINE, target)
    result = subprocess.run(
        [sys.executable, "-m", "qm_specs.migrate", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "32 change(s)" in result.stderr
    text = target.read_text()
    assert "spec_version: 2" in text
    assert "threshold_neutral" not in text
    assert "role: feature" not in text
    assert "{name: k, dtype: int32, role: grid_index}" in text
