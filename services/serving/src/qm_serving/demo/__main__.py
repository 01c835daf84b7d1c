"""CLI: `python -m qm_serving.demo --url URL --token JWT --workspace WS` seeds alias `demo`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import httpx

from qm_serving.demo import seed_alias


def main(argv: list[str] | None = None) -> int:
    """Register the demo serving spec and point the alias at it; prints the outcome as JSON."""
    parser = argparse.ArgumentParser(prog="python -m qm_serving.demo")
    parser.add_argument("--url", required=True, help="gateway (or serving) base URL")
    parser.add_argument("--token", required=True, help="bearer token of an editor or higher")
    parser.add_argument("--workspace", required=True, help="workspace id")
    parser.add_argument("--configs", default="configs", type=Path)
    parser.add_argument("--serving", default="qmdemo_vp")
    parser.add_argument("--alias", default="demo")
    args = parser.parse_args(argv)
    headers = {"Authorization": f"Bearer {args.token}", "X-Workspace-Id": args.workspace}
    with httpx.Client(base_url=args.url, timeout=30.0) as client:
        outcome = seed_alias(
            client, headers, configs_dir=args.configs, serving=args.serving, alias=args.alias
        )
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
