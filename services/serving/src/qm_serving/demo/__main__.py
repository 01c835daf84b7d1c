"""CLI: `python -m qm_serving.demo --gateway-url URL [--hold]` seeds the demo aliases for make run.

Alias `demo` -> qmdemo_vp (a synthetic replay); alias `live` -> es_live_vp (the live ES.c.0
session the local stack's ingestion demo starts). Switching `demo` to live is one activation of
the `live` alias's serving id.

Without --token/--workspace it gets a dev token for dev-owner (tenancy's dev issuer) and uses the
workspace with slug "demo", retrying until the stack is up. `--hold` keeps the process alive so a
process supervisor can own it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from qm_serving.demo import dev_headers, seed_alias


def _seed(client: httpx.Client, args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.token:
        headers = {"Authorization": f"Bearer {args.token}", "X-Workspace-Id": args.workspace}
    else:
        headers = dev_headers(client)
    outcomes = []
    for pair in args.seed or DEFAULT_SEEDS:
        serving, _, alias = pair.partition(":")
        outcomes.append(
            seed_alias(client, headers, configs_dir=args.configs, serving=serving, alias=alias)
        )
    return outcomes


DEFAULT_SEEDS = ("qmdemo_vp:demo", "es_live_vp:live")


def _pair(value: str) -> str:
    serving, sep, alias = value.partition(":")
    if not (serving and sep and alias):
        raise argparse.ArgumentTypeError(f"expected SERVING:ALIAS, got {value!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Register the demo serving specs and point their aliases; prints the outcomes as JSON."""
    parser = argparse.ArgumentParser(prog="python -m qm_serving.demo")
    parser.add_argument("--gateway-url", default="http://127.0.0.1:8080")
    parser.add_argument("--token", help="bearer token of an editor+ (default: dev-owner's)")
    parser.add_argument("--workspace", help="workspace id (with --token)")
    parser.add_argument("--configs", default="configs", type=Path)
    parser.add_argument(
        "--seed",
        action="append",
        type=_pair,
        help="SERVING:ALIAS to register and activate (repeatable; default: "
        + " ".join(DEFAULT_SEEDS)
        + ")",
    )
    parser.add_argument("--wait-s", type=float, default=180.0)
    parser.add_argument("--hold", action="store_true", help="stay alive after seeding")
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.wait_s
    with httpx.Client(base_url=args.gateway_url, timeout=30.0) as client:
        while True:
            try:
                outcome = _seed(client, args)
                break
            except (httpx.HTTPError, LookupError) as exc:
                if time.monotonic() > deadline:
                    sys.exit(f"demo serving alias not seeded: {exc}")
                time.sleep(2.0)
    print(json.dumps(outcome), flush=True)
    while args.hold:
        time.sleep(3600)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
