"""The Envoy config: one template, three targets Envoy accepts, committed copies in sync."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from qm_devstack.envoy import validate
from qm_devstack.gateway import HELM_VALUES, GatewaySettings, render, target_settings
from qm_devstack.paths import repo_root

ROOT = repo_root()
SEVEN = {"tenancy", "ingestion", "modeling", "jobs", "gold-dsl", "serving", "monitoring"}
COMPOSE_COPY = ROOT / "deploy" / "compose" / "envoy.yaml"
HELM_COPY = ROOT / "helm" / "qmachina" / "files" / "envoy.yaml"
HELM_SAMPLE = {
    "issuer": "https://idp.example.com/",
    "audience": "qmachina",
    "jwksUri": "http://tenancy:8101/.well-known/jwks.json",
    "jwksHost": "tenancy",
    "jwksPort": "8101",
    "jwksCluster": "jwks",
}


def _hcm(config: dict[str, Any]) -> dict[str, Any]:
    listener = config["static_resources"]["listeners"][0]
    typed: dict[str, Any] = listener["filter_chains"][0]["filters"][0]["typed_config"]
    return typed


def _routes(config: dict[str, Any]) -> list[dict[str, Any]]:
    routes: list[dict[str, Any]] = _hcm(config)["route_config"]["virtual_hosts"][0]["routes"]
    return routes


def _jwt(config: dict[str, Any]) -> dict[str, Any]:
    jwt: dict[str, Any] = _hcm(config)["http_filters"][0]["typed_config"]
    return jwt


@pytest.mark.parametrize("target", ["local", "compose", "k8s"])
def test_every_target_renders_a_config_envoy_accepts(target: Any, tmp_path: Path) -> None:
    path = tmp_path / f"{target}.yaml"
    path.write_text(render(target_settings(target)))
    done = validate(path)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_helm_copy_is_valid_once_the_chart_fills_in_its_values(tmp_path: Path) -> None:
    text = re.sub(
        r"\{\{ \.Values\.auth\.(\w+) \}\}", lambda m: HELM_SAMPLE[m[1]], HELM_COPY.read_text()
    )
    assert "{{" not in text
    path = tmp_path / "helm.yaml"
    path.write_text(text)
    done = validate(path)
    assert done.returncode == 0, done.stderr[-2000:]


def test_committed_compose_and_helm_copies_match_the_template() -> None:
    assert COMPOSE_COPY.read_text() == render(target_settings("compose")), (
        "regenerate: python -m qm_devstack.gateway --target compose -o deploy/compose/envoy.yaml"
    )
    assert HELM_COPY.read_text() == render(target_settings("k8s", **HELM_VALUES)), (
        "regenerate: python -m qm_devstack.gateway --target k8s -o helm/qmachina/files/envoy.yaml"
    )


def test_targets_differ_only_in_addresses() -> None:
    local = yaml.safe_load(render(target_settings("local")))
    compose = yaml.safe_load(render(target_settings("compose")))
    assert _routes(local) == _routes(compose)
    assert _jwt(local)["rules"] == _jwt(compose)["rules"]
    assert _hcm(local)["route_config"] == _hcm(compose)["route_config"]


def test_routes_are_rendered_only_for_services_in_the_stack() -> None:
    only_tenancy = yaml.safe_load(render(GatewaySettings(upstreams={"tenancy": ("h", 1)})))
    clusters = {c["name"] for c in only_tenancy["static_resources"]["clusters"]}
    assert clusters == {"tenancy", "jwks", "jwks_tls"}
    targets = {r["route"]["cluster"] for r in _routes(only_tenancy) if "route" in r}
    assert targets == {"tenancy"}
    with_jobs = yaml.safe_load(
        render(GatewaySettings(upstreams={"tenancy": ("h", 1), "jobs": ("h", 2)}))
    )
    prefixes = {r["match"].get("path_separated_prefix") for r in _routes(with_jobs)}
    assert {"/v1/jobs", "/v1/experiments", "/v1/search"} <= prefixes


def test_the_last_route_is_a_404_for_everything_unknown() -> None:
    last = _routes(yaml.safe_load(render(target_settings("local"))))[-1]
    assert last["match"] == {"prefix": "/"}
    assert last["direct_response"]["status"] == 404


def test_every_v1_path_needs_a_verified_token_except_the_dev_token_route() -> None:
    jwt = _jwt(yaml.safe_load(render(target_settings("local"))))
    rules = jwt["rules"]
    open_rules = [r["match"] for r in rules if "requires" not in r]
    assert open_rules[:2] == [{"path": "/v1/auth/dev/token"}, {"path": "/.well-known/jwks.json"}]
    # Only a WebSocket upgrade of /v1/stream is exempt (serving checks its own stream token).
    upgrade = [{"name": "upgrade", "string_match": {"exact": "websocket", "ignore_case": True}}]
    assert open_rules[2:] == [{"path": "/v1/stream", "headers": upgrade}]
    assert rules[len(open_rules)] == {
        "match": {"prefix": "/v1/"},
        "requires": {"provider_name": "qmachina"},
    }
    provider = jwt["providers"]["qmachina"]
    assert provider["require_expiration"] is True
    assert provider["forward"] is True
    assert provider["issuer"] == "qmachina-dev"
    assert provider["audiences"] == ["qmachina"]
    assert provider["remote_jwks"]["http_uri"]["cluster"] == "jwks"


def test_an_https_jwks_is_fetched_over_tls() -> None:
    settings = target_settings("k8s", jwks_uri="https://idp.example.com/.well-known/jwks.json")
    config = yaml.safe_load(render(settings))
    provider = _jwt(config)["providers"]["qmachina"]
    assert provider["remote_jwks"]["http_uri"]["cluster"] == "jwks_tls"
    tls = next(c for c in config["static_resources"]["clusters"] if c["name"] == "jwks_tls")
    address = tls["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]
    assert address["socket_address"] == {"address": "idp.example.com", "port_value": 443}
    assert tls["transport_socket"]["typed_config"]["sni"] == "idp.example.com"


def test_identity_headers_from_clients_are_stripped() -> None:
    route_config = _hcm(yaml.safe_load(render(target_settings("local"))))["route_config"]
    removed = set(route_config["request_headers_to_remove"])
    assert {"x-user", "x-user-id", "x-user-email", "x-principal", "x-jwt-payload"} <= removed
    assert "x-forwarded-user" in removed


def test_stream_routes_have_no_deadline_and_only_the_stream_upgrades_to_websocket() -> None:
    config = yaml.safe_load(render(GatewaySettings(upstreams=dict.fromkeys(SEVEN, ("h", 1)))))
    by_match = {str(r["match"]): r for r in _routes(config)}
    stream = by_match[str({"path": "/v1/stream"})]["route"]
    assert stream["timeout"] == "0s"
    assert stream["upgrade_configs"] == [{"upgrade_type": "websocket", "enabled": True}]
    sse = next(r for r in _routes(config) if "safe_regex" in r["match"])
    assert sse["route"]["timeout"] == "0s"
    assert re.fullmatch(sse["match"]["safe_regex"]["regex"], "/v1/jobs/experiments/abc/events")
    assert "upgrade_configs" not in sse["route"]
    assert _hcm(config)["upgrade_configs"] == [{"upgrade_type": "websocket", "enabled": False}]


def test_the_route_table_names_only_the_seven_services() -> None:
    table = yaml.safe_load((ROOT / "gateway" / "routes.yaml").read_text())
    assert {entry["service"] for entry in table["routes"]} == SEVEN
    keys = [
        (entry.get("prefix"), entry.get("path"), entry.get("regex")) for entry in table["routes"]
    ]
    assert len(keys) == len(set(keys))
    assert {entry.get("auth", "jwt") for entry in table["routes"]} <= {
        "jwt",
        "none",
        "stream-token",
    }
