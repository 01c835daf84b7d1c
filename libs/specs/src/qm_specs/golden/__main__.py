"""CLI: `python -m qm_specs.golden [--configs DIR] [--out DIR]` regenerates the golden snapshots."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qm_specs.golden import write_snapshots


def main(argv: list[str] | None = None) -> int:
    """Rewrite the snapshots (default: configs/ -> libs/specs/tests/golden/); review the diff."""
    parser = argparse.ArgumentParser(prog="python -m qm_specs.golden", description=__doc__)
    parser.add_argument("--configs", type=Path, default=Path("configs"))
    parser.add_argument("--out", type=Path, default=Path("libs/specs/tests/golden"))
    args = parser.parse_args(argv)
    try:
        count = write_snapshots(args.configs, args.out)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"wrote {count} snapshots to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
