"""CLI: python -m qm_market.synth --symbol ESZ6 --date 2026-03-02 --start 09:25 --minutes 60 ..."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from qm_core.errors import QmError
from qm_market.instruments import DEFAULT_INSTRUMENTS_DIR, find_instrument
from qm_market.synth import SynthSpec, write_session


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, write the session, print a one-line JSON summary."""
    ap = argparse.ArgumentParser(prog="python -m qm_market.synth", description=__doc__)
    ap.add_argument("--symbol", required=True)
    ap.add_argument("--date", required=True, type=date.fromisoformat)
    ap.add_argument("--start", required=True, help="HH:MM America/New_York")
    ap.add_argument("--minutes", required=True, type=float)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rate", type=float, default=None, help="event groups per second")
    ap.add_argument("--instruments-dir", default=str(DEFAULT_INSTRUMENTS_DIR))
    ap.add_argument("--out", required=True, help="FILE.dbn or FILE.dbn.zst")
    args = ap.parse_args(argv)
    try:
        inst = find_instrument(args.symbol, args.instruments_dir)
        spec = SynthSpec(inst, args.date, args.start, args.minutes, args.seed, args.rate)
        n = write_session(spec, args.out)
    except QmError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    print(
        json.dumps({"out": args.out, "records": n, "instrument_id": inst.synthetic_instrument_id})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
