"""The stack table: entries point at real code, ports are the reserved ones, selection works."""

from __future__ import annotations

import importlib.util

import pytest
import yaml

from qm_devstack.paths import repo_root
from qm_devstack.stack_table import SERVICES, select

ROOT = repo_root()
RESERVED = {
    "tenancy": 8101,
    "ingestion": 8102,
    "modeling": 8103,
    "jobs": 8104,
    "gold-dsl": 8105,
    "serving": 8106,
    "monitoring": 8107,
}


def test_every_entry_points_at_a_service_with_an_app_and_migrations() -> None:
    for entry in SERVICES:
        module, factory = entry.api.split(":")
        package = module.split(".")[0]
        assert (ROOT / entry.alembic_ini).is_file(), entry.name
        app = ROOT / "services" / entry.name / "src" / package / "app.py"
        assert f"def {factory}(" in app.read_text(), entry.name
        for _, argv in entry.workers:
            assert importlib.util.find_spec(argv[0]) is not None, argv


def test_ports_are_the_reserved_ones_and_every_service_has_routes() -> None:
    assert {e.name: e.port for e in SERVICES} == {e.name: RESERVED[e.name] for e in SERVICES}
    routed = {
        r["service"] for r in yaml.safe_load((ROOT / "gateway/routes.yaml").read_text())["routes"]
    }
    assert {e.name for e in SERVICES} <= routed


def test_select_keeps_tenancy_and_rejects_unknown_names() -> None:
    assert select("") == SERVICES
    assert [e.name for e in select("serving")] == ["tenancy", "serving"]
    assert [e.name for e in select(" tenancy , jobs ")] == ["tenancy", "jobs"]
    with pytest.raises(KeyError, match="nope"):
        select("jobs,nope")
