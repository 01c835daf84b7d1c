"""CLI: `python -m qm_specs.migrate FILE [--stdout]` rewrites a legacy spec in the current form."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from qm_specs.migrate import MigrationError, dump_yaml, migrate_document


def main(argv: list[str] | None = None) -> int:
    """Rewrite FILE in place (or print with --stdout); list each mapping applied on stderr."""
    parser = argparse.ArgumentParser(prog="python -m qm_specs.migrate", description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--stdout", action="store_true", help="print instead of rewriting FILE")
    args = parser.parse_args(argv)
    try:
        raw = yaml.safe_load(args.file.read_text(encoding="utf-8"))
        doc, applied = migrate_document(str(args.file), raw)
    except (OSError, yaml.YAMLError, MigrationError) as exc:
        print(f"{args.file}: cannot migrate: {exc}", file=sys.stderr)
        return 1
    if not applied and raw.get("spec_version") != 1:
        print(f"{args.file}: already in the current form; left unchanged", file=sys.stderr)
        return 0
    for change in applied:
        print(f"{change.file}: {change.path}: {change.reason}", file=sys.stderr)
    text = dump_yaml(doc)
    if args.stdout:
        sys.stdout.write(text)
    else:
        args.file.write_text(text, encoding="utf-8")
    print(f"{args.file}: {len(applied)} change(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
