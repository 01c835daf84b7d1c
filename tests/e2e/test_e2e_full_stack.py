"""Every service of the stack table starts, stays up and is reachable through the gateway."""

from __future__ import annotations

import httpx
import pytest
import yaml
from e2e_tokens import auth

from qm_devstack.paths import repo_root
from qm_devstack.seed import dev_token
from qm_devstack.stack import Stack

pytestmark = pytest.mark.e2e


def test_every_service_is_healthy_and_routed_by_the_gateway(full_stack: Stack) -> None:
    routes = yaml.safe_load((repo_root() / "gateway" / "routes.yaml").read_text())["routes"]
    with httpx.Client(base_url=full_stack.gateway_url, timeout=15.0) as client:
        headers = auth(dev_token(client))
        for service in full_stack.config.services:
            assert httpx.get(f"{full_stack.service_url(service.name)}/healthz").status_code == 200
            prefix = next(
                r["prefix"] for r in routes if r["service"] == service.name and "prefix" in r
            )
            reply = client.get(f"{prefix}/e2e-probe", headers=headers)
            # Envoy's own 404 says "no route"; anything else came from the service.
            assert reply.json().get("detail") != "no route", (service.name, reply.text)
    assert full_stack.supervisor.exited() == []
