"""Render the one Envoy template (gateway/envoy.yaml.tmpl) for local, compose or k8s, and run it."""

from __future__ import annotations

import argparse
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml

from qm_devstack.paths import repo_root
from qm_devstack.stack_table import SERVICES

Target = Literal["local", "compose", "k8s"]
STREAM_IDLE = "3600s"
ROUTE_TIMEOUT = "120s"


@dataclass(frozen=True)
class GatewaySettings:
    """Everything that varies between renderings: addresses, ports and the token issuer."""

    upstreams: Mapping[str, tuple[str, int]]
    gateway_port: int = 8080
    listen_address: str = "127.0.0.1"
    admin_port: int = 9901
    issuer: str = "qmachina-dev"
    audience: str = "qmachina"
    jwks_uri: str = "http://127.0.0.1:8101/.well-known/jwks.json"
    # Host and port of the JWKS clusters; None derives them from jwks_uri.
    jwks_address: tuple[str, int | str] | None = None
    # Which of the two JWKS clusters ("jwks" plain, "jwks_tls") to use; None: by jwks_uri's scheme.
    jwks_cluster: str | None = None


def target_settings(target: Target, **overrides: Any) -> GatewaySettings:
    """Default settings of a render target: loopback locally, service DNS names in containers."""
    if target == "local":
        upstreams = {s.name: ("127.0.0.1", s.port) for s in SERVICES}
        return GatewaySettings(upstreams=upstreams, **overrides)
    upstreams = {s.name: (s.name, s.port) for s in SERVICES}
    jwks = f"http://tenancy:{upstreams['tenancy'][1]}/.well-known/jwks.json"
    base: dict[str, Any] = {"listen_address": "0.0.0.0", "jwks_uri": jwks}  # noqa: S104
    return GatewaySettings(upstreams=upstreams, **{**base, **overrides})


def load_route_table(root: Path | None = None) -> dict[str, Any]:
    """The parsed gateway/routes.yaml."""
    path = (root or repo_root()) / "gateway" / "routes.yaml"
    table: dict[str, Any] = yaml.safe_load(path.read_text())
    return table


def render(settings: GatewaySettings, root: Path | None = None) -> str:
    """The Envoy YAML for `settings`, from the template and the route table."""
    base = root or repo_root()
    table = load_route_table(base)
    text = string.Template((base / "gateway" / "envoy.yaml.tmpl").read_text()).substitute(
        ADMIN_ADDRESS="127.0.0.1",
        ADMIN_PORT=settings.admin_port,
        LISTEN_ADDRESS=settings.listen_address,
        GATEWAY_PORT=settings.gateway_port,
        JWT_ISSUER=settings.issuer,
        JWT_AUDIENCE=settings.audience,
        JWKS_URI=settings.jwks_uri,
        JWKS_CLUSTER=settings.jwks_cluster or _jwks_cluster_for(settings.jwks_uri),
    )
    config: dict[str, Any] = yaml.safe_load(text)
    hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    route_config = hcm["typed_config"]["route_config"]
    route_config["request_headers_to_remove"] = list(table["strip_request_headers"])
    route_config["virtual_hosts"][0]["routes"] = _routes(table["routes"], settings.upstreams)
    jwt = hcm["typed_config"]["http_filters"][0]["typed_config"]
    jwt["rules"] = _exemptions(table["routes"]) + jwt["rules"]
    config["static_resources"]["clusters"] = _clusters(settings)
    header = (
        "# GENERATED from gateway/envoy.yaml.tmpl + gateway/routes.yaml by qm_devstack.gateway\n"
    )
    return header + yaml.safe_dump(config, sort_keys=False, width=120)


def _routes(entries: list[dict[str, Any]], upstreams: Mapping[str, tuple[str, int]]) -> list[Any]:
    health = {"match": {"path": "/healthz"}, "direct_response": _reply(200, "ok")}
    routes: list[Any] = [health]
    routes += [_route(entry) for entry in entries if entry["service"] in upstreams]
    routes.append({"match": {"prefix": "/"}, "direct_response": _reply(404, "no route")})
    return routes


def _exemptions(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """JWT rules without `requires` for public paths and stream-token WebSocket upgrades."""
    rules: list[dict[str, Any]] = []
    for entry in entries:
        auth = entry.get("auth", "jwt")
        if auth == "none":
            rules.append({"match": {"path": entry["path"]}})
        elif auth == "stream-token":
            upgrade = {"exact": "websocket", "ignore_case": True}
            header = {"name": "upgrade", "string_match": upgrade}
            rules.append({"match": {"path": entry["path"], "headers": [header]}})
        elif auth != "jwt":
            raise ValueError(f"unknown auth {auth!r} in routes.yaml")
    return rules


def _route(entry: dict[str, Any]) -> dict[str, Any]:
    action: dict[str, Any] = {"cluster": entry["service"], "timeout": ROUTE_TIMEOUT}
    stream = entry.get("stream")
    if stream is not None:
        # Streams live for hours: no overall deadline, only an idle limit.
        action.update(timeout="0s", idle_timeout=STREAM_IDLE)
    if stream == "websocket":
        action["upgrade_configs"] = [{"upgrade_type": "websocket", "enabled": True}]
    return {"match": _match(entry), "route": action}


def _match(entry: dict[str, Any]) -> dict[str, Any]:
    if "path" in entry:
        return {"path": entry["path"]}
    if "regex" in entry:
        return {"safe_regex": {"regex": entry["regex"]}}
    return {"path_separated_prefix": entry["prefix"]}


def _reply(status: int, body: str) -> dict[str, Any]:
    return {"status": status, "body": {"inline_string": body}}


def _clusters(settings: GatewaySettings) -> list[dict[str, Any]]:
    clusters = [_cluster(name, host, port) for name, (host, port) in settings.upstreams.items()]
    jwks = urlsplit(settings.jwks_uri)
    default_port = 443 if jwks.scheme == "https" else 80
    host, port = settings.jwks_address or (jwks.hostname or "", jwks.port or default_port)
    # Both are always defined so the same file serves an http (in-cluster) or https (IdP) JWKS.
    jwks_tls = _cluster("jwks_tls", host, port)
    jwks_tls["transport_socket"] = {
        "name": "envoy.transport_sockets.tls",
        "typed_config": {
            "@type": "type.googleapis.com/"
            "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
            "sni": host,
        },
    }
    return [*clusters, _cluster("jwks", host, port), jwks_tls]


def _jwks_cluster_for(uri: str) -> str:
    return "jwks_tls" if urlsplit(uri).scheme == "https" else "jwks"


def _cluster(name: str, host: str, port: int | str) -> dict[str, Any]:
    endpoint = {"endpoint": {"address": {"socket_address": {"address": host, "port_value": port}}}}
    return {
        "name": name,
        "type": "STRICT_DNS",
        "dns_lookup_family": "V4_ONLY",
        "connect_timeout": "2s",
        "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": [endpoint]}]},
    }


# The chart passes its copy through `tpl`, so the token issuer comes from the values files.
HELM_VALUES: dict[str, Any] = {
    "issuer": "{{ .Values.auth.issuer }}",
    "audience": "{{ .Values.auth.audience }}",
    "jwks_uri": "{{ .Values.auth.jwksUri }}",
    "jwks_address": ("{{ .Values.auth.jwksHost }}", "{{ .Values.auth.jwksPort }}"),
    "jwks_cluster": "{{ .Values.auth.jwksCluster }}",
}


def main(argv: list[str] | None = None) -> None:
    """CLI: write the rendered config of one target (k8s gets Helm value placeholders)."""
    parser = argparse.ArgumentParser(description="render the Envoy gateway config")
    parser.add_argument("--target", choices=["local", "compose", "k8s"], default="local")
    parser.add_argument("--output", "-o", type=Path, required=True)
    args = parser.parse_args(argv)
    overrides = HELM_VALUES if args.target == "k8s" else {}
    args.output.write_text(render(target_settings(args.target, **overrides)))


if __name__ == "__main__":
    main()
