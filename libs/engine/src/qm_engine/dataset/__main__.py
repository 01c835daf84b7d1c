"""CLI: python -m qm_engine.dataset build --source FILE --instrument YAML --start T --end T
[--param key=value ...] --lake var/lake   (prints the dataset id and path as JSON)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from qm_core.errors import Invalid, QmError
from qm_engine.dataset import build_dataset
from qm_engine.fields import EngineParams
from qm_market.instruments import Instrument, load_instrument


def parse_time(text: str, inst: Instrument) -> int:
    """ns since epoch from an integer, or ISO-8601 (naive = the instrument's timezone)."""
    if text.isdigit():
        return int(text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise Invalid(f"bad time {text!r}: use ns or ISO-8601 like 2026-03-02T09:25") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(inst.session.timezone))
    return int(when.timestamp()) * 1_000_000_000 + when.microsecond * 1000


def parse_params(pairs: list[str]) -> EngineParams:
    """EngineParams from key=value overrides (values are YAML scalars or lists)."""
    defaults = EngineParams()
    types = {f.name: type(getattr(defaults, f.name)) for f in fields(EngineParams)}
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or key not in types:
            raise Invalid(f"bad --param {pair!r}: expected key=value with a known engine key")
        value = yaml.safe_load(raw)
        if types[key] is float or (key == "tick_size" and value is not None):
            value = float(value)
        elif types[key] is int and (not isinstance(value, int) or isinstance(value, bool)):
            raise Invalid(f"bad --param {pair!r}: {key} takes an integer")
        out[key] = value
    return defaults.with_overrides(out)


def main(argv: list[str] | None = None) -> int:
    """Run the `build` subcommand."""
    ap = argparse.ArgumentParser(prog="python -m qm_engine.dataset", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build (or find) a content-addressed dataset")
    b.add_argument("--source", required=True)
    b.add_argument("--instrument", required=True, help="configs/instruments/X.yaml")
    b.add_argument("--start", required=True)
    b.add_argument("--end", required=True)
    b.add_argument("--param", action="append", default=[], help="key=value (repeatable)")
    b.add_argument("--lake", default="var/lake")
    args = ap.parse_args(argv)
    try:
        inst = load_instrument(args.instrument)
        ref = build_dataset(
            source=args.source,
            instrument=inst,
            start_ns=parse_time(args.start, inst),
            end_ns=parse_time(args.end, inst),
            lake=args.lake,
            params=parse_params(args.param),
        )
    except QmError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    print(
        json.dumps(
            {"dataset_id": ref.dataset_id, "path": str(ref.path), "counts": ref.manifest["counts"]}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
