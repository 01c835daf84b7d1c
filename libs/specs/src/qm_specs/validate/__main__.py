"""CLI: `python -m qm_specs.validate [PATH ...]` (default configs/); exit 1 on any problem."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qm_specs.validate import validate_paths


def main(argv: list[str] | None = None) -> int:
    """Print one line per problem (`file: path: reason`) and per warning; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m qm_specs.validate", description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("configs")])
    parser.add_argument(
        "--refs",
        type=Path,
        action="append",
        default=[],
        help="folder or file whose specs may be referenced but are not themselves reported",
    )
    args = parser.parse_args(argv)
    missing = [p for p in [*args.paths, *args.refs] if not p.exists()]
    if missing:
        print(f"no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    report = validate_paths(args.paths, args.refs)
    for problem in sorted(report.problems, key=lambda p: p.file):
        print(problem.render())
    for warning in sorted(report.warnings, key=lambda p: p.file):
        print(f"{warning.file}: {warning.path}: warning: {warning.reason}", file=sys.stderr)
    n_files = len(report.documents)
    summary = f"{n_files} files, {len(report.problems)} problems, {len(report.warnings)} warnings"
    print(summary, file=sys.stderr)
    return 0 if report.ok and n_files else 1


if __name__ == "__main__":
    sys.exit(main())
