"""CLI: python -m qm_engine.book FILE [--instrument-id N] [--until-ns T] -> one JSON object."""

from __future__ import annotations

import argparse
import json
import sys

from qm_core.errors import QmError
from qm_engine.book import replay_book


def main(argv: list[str] | None = None) -> int:
    """Print {"instrument_id", "ts_event", "bids", "asks"} (best level first) or an error."""
    ap = argparse.ArgumentParser(prog="python -m qm_engine.book", description=__doc__)
    ap.add_argument("file")
    ap.add_argument("--instrument-id", type=int, default=None)
    ap.add_argument("--until-ns", type=int, default=None)
    args = ap.parse_args(argv)
    try:
        out = replay_book(args.file, instrument_id=args.instrument_id, until_ns=args.until_ns)
    except QmError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    print(json.dumps(out, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
