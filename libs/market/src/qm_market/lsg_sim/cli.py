"""The lsg_sim command line: `serve` a simulated gateway, `fault`/`status` on its control port."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import date

from qm_market.instruments import load_instrument
from qm_market.lsg_sim.control import send, serve_control
from qm_market.lsg_sim.script import MarketScript, roll_script, synthetic_script
from qm_market.lsg_sim.server import SimGateway

# Not a secret: the key the local stack's ingestion worker uses by default (IngestionSettings).
LOCAL_KEY = "db-qmachina-local-simulator-key00"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m qm_market.lsg_sim")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="serve a synthetic market over the Databento LSG protocol")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=13000)
    s.add_argument("--control-port", type=int, default=13001)
    s.add_argument(
        "--key",
        action="append",
        default=[],
        help="accepted API key (repeatable; default: $QM_INGESTION_DATABENTO_KEY or the local key)",
    )
    s.add_argument("--instrument", default="configs/instruments/ESZ6.yaml")
    s.add_argument("--day", default="2026-11-02")
    s.add_argument("--start", default="09:30")
    s.add_argument("--minutes", type=float, default=30.0)
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--rate", type=float, default=400.0, help="script records per second")
    s.add_argument("--roll-to", default=None, help="BACK_SYMBOL:INSTRUMENT_ID to roll into")
    s.add_argument("--roll-fraction", type=float, default=0.5)
    for name in ("fault", "status"):
        c = sub.add_parser(name, help=f"{name} on a running gateway's control port")
        if name == "fault":
            c.add_argument("kind", choices=["close", "reset", "silence", "error", "slow"])
            c.add_argument("--at", type=int, default=None, help="script index to fire at")
        c.add_argument("--host", default="127.0.0.1")
        c.add_argument("--control-port", type=int, default=13001)
    return p


def _script(args: argparse.Namespace) -> MarketScript:
    inst = load_instrument(args.instrument)
    day = date.fromisoformat(args.day)
    if args.roll_to:
        symbol, iid = args.roll_to.split(":")
        return roll_script(
            inst,
            back_symbol=symbol,
            back_instrument_id=int(iid),
            day=day,
            start=args.start,
            minutes=args.minutes,
            seed=args.seed,
            roll_fraction=args.roll_fraction,
        )
    return synthetic_script(inst, day=day, start=args.start, minutes=args.minutes, seed=args.seed)


async def _serve(args: argparse.Namespace) -> None:
    keys = args.key or [os.environ.get("QM_INGESTION_DATABENTO_KEY", LOCAL_KEY)]
    script = _script(args)
    gw = SimGateway(script, keys=keys, rate=args.rate, host=args.host, port=args.port)
    port = await gw.start()
    control = await serve_control(gw, args.host, args.control_port)
    sys.stdout.write(
        f"lsg_sim: {len(script)} records of {sorted(script.contracts)} "
        f"({', '.join(script.continuous)}) on {args.host}:{port}, "
        f"control on {args.control_port}\n"
    )
    sys.stdout.flush()
    try:
        await asyncio.Event().wait()
    finally:
        control.close()
        await gw.close()


def main(argv: list[str] | None = None) -> None:
    """Entry point (argv defaults to the process arguments)."""
    args = _parser().parse_args(argv)
    if args.cmd == "serve":
        asyncio.run(_serve(args))
        return
    line = (
        "status"
        if args.cmd == "status"
        else " ".join(["fault", args.kind] + ([str(args.at)] if args.at is not None else []))
    )
    sys.stdout.write(asyncio.run(send(args.host, args.control_port, line)) + "\n")
