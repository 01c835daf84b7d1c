"""`python -m qm_devstack.run` (make run): the whole platform locally until Ctrl-C."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from qm_devstack.paths import repo_root
from qm_devstack.seed import DEV_OWNER, seed_demo
from qm_devstack.settings import DevstackSettings
from qm_devstack.stack import Stack, StackConfig
from qm_devstack.stack_table import select


def build_stack(settings: DevstackSettings) -> Stack:
    """The stack `make run` starts, from QM_* settings (data under var/ of the repository)."""
    root = repo_root()
    config = StackConfig(
        var_dir=root / settings.var_dir,
        database_url=settings.database_url or None,
        redis_url=settings.redis_url or None,
        gateway_port=settings.gateway_port,
        log_json=settings.log_json,
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        echo_logs=sys.stdout if settings.devstack_echo_logs else None,
        progress=sys.stdout,
        free_ports=settings.devstack_free_ports,
        services=select(settings.devstack_services),
    )
    return Stack(config, root)


_JSON_FIELD = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])'"


def banner(stack: Stack, workspace: dict[str, Any]) -> str:
    """What a newcomer needs: URLs, where data and logs are, and a copy-pasteable token call."""
    gw = stack.gateway_url
    body = '{"sub": "%s", "email": "%s", "name": "%s"}' % tuple(DEV_OWNER.values())  # noqa: UP031
    data = _relative(stack.var)
    pg = f"embedded, data in {data}/postgres" if stack.postgres else "from QM_DATABASE_URL"
    redis = f"embedded, data in {data}/valkey" if stack.valkey else "from QM_REDIS_URL"
    return "\n".join(
        [
            "",
            "qMachina is running",
            f"  gateway    {gw}",
            f"  postgres   {stack.database_url}  ({pg})",
            f"  redis      {stack.redis_url}  ({redis})",
            f"  logs       {data}/log/<process>.log",
            f'  demo       workspace "demo" id={workspace.get("workspace_id")} owned by dev-owner',
            *_demo_streams(stack),
            "",
            "Get a dev token and call the API:",
            f"  TOKEN=$(curl -s -X POST {gw}/v1/auth/dev/token -H 'content-type: application/json' "
            f"-d '{body}' | {_JSON_FIELD})",
            f'  curl -s {gw}/v1/workspaces -H "Authorization: Bearer $TOKEN"',
            "",
            "Ctrl-C stops everything (data stays in var/).",
            "",
        ]
    )


def _demo_streams(stack: Stack) -> list[str]:
    names = {service.name for service in stack.config.services}
    if not {"serving", "ingestion"} <= names:
        return []
    return [
        '  streams    aliases "demo" (synthetic replay) and "live" (the demo ES.c.0 live session):',
        '             POST /v1/stream/tokens {"serving": "demo"}, then open the WebSocket URL',
    ]


def _relative(path: Path) -> Path:
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    # The first signal starts the shutdown; repeats (uv forwards Ctrl-C too) must not cut it short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def _wait_until_a_process_exits(stack: Stack) -> str:
    while True:
        exited = stack.supervisor.exited()
        if exited:
            return ", ".join(exited)
        time.sleep(0.5)


def main() -> int:
    """Start, seed, print, wait; any exit path stops every process."""
    # Set both explicitly: a parent (uv run) may have started us with SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    stack = build_stack(DevstackSettings())
    code = 0
    try:
        stack.start()
        sys.stdout.write(banner(stack, seed_demo(stack.gateway_url)))
        sys.stdout.flush()
        gone = _wait_until_a_process_exits(stack)
        sys.stderr.write(f"\nprocess exited: {gone}; see {stack.var / 'log'}. Stopping.\n")
        code = 1
    except KeyboardInterrupt:
        sys.stdout.write("\nstopping...\n")
    finally:
        # Hung children are SIGKILLed by the supervisor, so ignoring repeats cannot hang us.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        sys.stdout.write("stopped.\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
