"""The rendered Envoy config, run for real in front of a stub upstream that echoes what it got."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_tokens import SigningKey, auth, bad_tokens, claims, sign
from joserfc.jwk import RSAKey
from websockets.sync.client import connect
from websockets.sync.server import serve

from qm_devstack.envoy import envoy_spec
from qm_devstack.gateway import GatewaySettings
from qm_devstack.net import free_port
from qm_devstack.supervisor import Supervisor

pytestmark = pytest.mark.e2e


def _echo_handler(jwks: dict[str, Any]) -> type[BaseHTTPRequestHandler]:
    class Echo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._reply()

        def do_POST(self) -> None:
            self._reply()

        def _reply(self) -> None:
            body = (
                jwks
                if self.path == "/.well-known/jwks.json"
                else {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
            )
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:
            return

    return Echo


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return RSAKey.generate_key(2048, parameters={"kid": "stub-key"})


@pytest.fixture(scope="module")
def gateway(key: SigningKey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    public = {**key.as_dict(private=False), "alg": "RS256", "use": "sig"}
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _echo_handler({"keys": [public]}))
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = upstream.server_address[1]
    stream = serve(lambda ws: ws.send(ws.request.path if ws.request else ""), "127.0.0.1", 0)
    threading.Thread(target=stream.serve_forever, daemon=True).start()
    ws_port = stream.socket.getsockname()[1]
    settings = GatewaySettings(
        upstreams={"tenancy": ("127.0.0.1", port), "serving": ("127.0.0.1", ws_port)},
        gateway_port=free_port(),
        admin_port=free_port(),
        jwks_uri=f"http://127.0.0.1:{port}/.well-known/jwks.json",
    )
    work: Path = tmp_path_factory.mktemp("gateway")
    supervisor = Supervisor(work / "log", cwd=work)
    try:
        supervisor.start(envoy_spec(settings, work))
        yield f"http://127.0.0.1:{settings.gateway_port}"
    finally:
        supervisor.stop_all()
        upstream.shutdown()
        upstream.server_close()
        stream.shutdown()


@pytest.fixture
def client(gateway: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway, timeout=10.0) as http:
        yield http


def test_a_valid_token_reaches_the_service_with_the_token_forwarded(
    client: httpx.Client, key: SigningKey
) -> None:
    token = sign(key, claims("alice"))
    reply = client.get("/v1/workspaces", headers=auth(token))
    assert reply.status_code == 200
    seen = reply.json()["headers"]
    assert seen["authorization"] == f"Bearer {token}"
    assert seen["x-request-id"]


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "expired",
        "no_exp",
        "wrong_signature",
        "alg_none",
        "hs256_public_key",
        "wrong_aud",
        "wrong_iss",
        "garbage",
        "garbage_segments",
    ],
)
def test_bad_tokens_are_refused_with_401_in_the_shared_error_shape(
    client: httpx.Client, key: SigningKey, case: str
) -> None:
    reply = client.get("/v1/workspaces", headers=auth(bad_tokens(key)[case]))
    assert reply.status_code == 401, reply.text
    body = reply.json()
    assert body["error"] == "unauthorized"
    assert body["request_id"] == reply.headers["x-request-id"]


def test_identity_headers_sent_by_the_client_never_reach_the_service(
    client: httpx.Client, key: SigningKey
) -> None:
    spoof = {
        "X-User": "mallory",
        "X-User-Id": "mallory",
        "X-Principal": "mallory",
        "X-Jwt-Payload": "e30",
        "X-Forwarded-User": "mallory",
    }
    reply = client.get("/v1/workspaces", headers={**auth(sign(key, claims())), **spoof})
    assert reply.status_code == 200
    seen = reply.json()["headers"]
    assert not {name.lower() for name in spoof} & set(seen)


def test_the_dev_token_route_and_health_need_no_token(client: httpx.Client) -> None:
    assert client.post("/v1/auth/dev/token", json={}).status_code == 200
    assert client.get("/.well-known/jwks.json").json()["keys"][0]["kid"] == "stub-key"
    assert client.get("/healthz").status_code == 200


def test_unknown_routes_are_404_with_or_without_a_token(
    client: httpx.Client, key: SigningKey
) -> None:
    assert client.get("/nope").status_code == 404
    token = auth(sign(key, claims()))
    for path in ("/v1/nope", "/v1/jobs", "/v1/workspacesX", "/internal/v1/members"):
        reply = client.get(path, headers=token)
        assert reply.status_code == 404, path
        assert reply.json()["error"] == "not_found"


def test_a_client_request_id_is_kept_and_one_is_generated_otherwise(
    client: httpx.Client, key: SigningKey
) -> None:
    token = auth(sign(key, claims()))
    kept = client.get("/v1/workspaces", headers={**token, "X-Request-Id": "req-123"})
    assert kept.headers["x-request-id"] == "req-123"
    assert kept.json()["headers"]["x-request-id"] == "req-123"
    fresh = client.get("/v1/workspaces", headers=token)
    assert len(fresh.headers["x-request-id"]) >= 16


def test_path_tricks_do_not_skip_the_token_check(client: httpx.Client) -> None:
    for path in ("/v1/auth/dev/token/../../workspaces", "//v1/workspaces", "/v1//workspaces"):
        reply = client.send(client.build_request("GET", path))
        assert reply.status_code in (401, 404), (path, reply.status_code)
        assert reply.status_code != 200
    escaped = client.get("/v1/auth/dev/token%2F..%2F..%2Fworkspaces")
    assert escaped.status_code != 200


def test_only_the_websocket_upgrade_of_the_stream_skips_the_jwt_check(
    gateway: str, client: httpx.Client
) -> None:
    # The serving stub is a real WebSocket server that sends back the path it was opened with.
    url = gateway.replace("http://", "ws://") + "/v1/stream?serving=prod&token=qmst1.x"
    with connect(url, open_timeout=10) as socket:
        assert socket.recv(timeout=10) == "/v1/stream?serving=prod&token=qmst1.x"
    assert client.get("/v1/stream", params={"token": "qmst1.x"}).status_code == 401
    assert client.post("/v1/stream/tokens", json={}).status_code == 401


def test_health_is_answered_by_the_gateway_itself(client: httpx.Client) -> None:
    reply = client.get("/healthz")
    assert reply.status_code == 200
    assert reply.text == "ok"
