"""`python -m qm_jobs.demo [--hold]`: seed the demo dataset so a demo experiment can run at once.

Used by `make run` (a local-only process): writes a 2-minute synthetic QMDEMO session (seed 7),
builds its dataset into the jobs lake (content-addressed, so a second run finds it), and prints the
dataset id with the request that submits the demo experiment `derivative_baseline_sweep`.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from qm_engine.dataset import build_dataset
from qm_jobs.settings import JobsSettings
from qm_market.instruments import load_instrument
from qm_market.synth import SynthSpec, write_session

DEMO_MINUTES = 2.0
DEMO_EXPERIMENT = "derivative_baseline_sweep"


def seed_demo_dataset(settings: JobsSettings, work_dir: Path) -> str:
    """Build (or find) the demo dataset; returns its id and records it in `work_dir`."""
    instrument = load_instrument(settings.jobs_configs_dir / "instruments" / "QMDEMO.yaml")
    spec = SynthSpec(instrument, date(2026, 3, 2), "09:30", DEMO_MINUTES, 7)
    session = work_dir / "qmdemo-session.dbn"
    if not session.exists():
        work_dir.mkdir(parents=True, exist_ok=True)
        partial = session.with_suffix(".partial")
        write_session(spec, partial)
        partial.rename(session)
    ref = build_dataset(
        source=session,
        instrument=instrument,
        start_ns=spec.start_ns,
        end_ns=spec.end_ns,
        lake=settings.jobs_lake_dir,
    )
    (work_dir / "dataset-id").write_text(ref.dataset_id + "\n")
    return ref.dataset_id


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m qm_jobs.demo", description=__doc__)
    parser.add_argument("--work-dir", type=Path, help="default: <QM_VAR_DIR>/demo")
    parser.add_argument("--hold", action="store_true", help="stay alive after seeding")
    args = parser.parse_args()
    settings = JobsSettings()
    dataset_id = seed_demo_dataset(settings, args.work_dir or settings.var_dir / "demo")
    body = f'{{"spec_ref": "{DEMO_EXPERIMENT}", "datasets": ["{dataset_id}"]}}'
    sys.stdout.write(
        f"demo dataset {dataset_id} is in the lake; submit the demo experiment with\n"
        f'  curl -X POST $GW/v1/jobs/experiments -H "Authorization: Bearer $TOKEN" '
        f"-H \"X-Workspace-Id: $WS\" -H 'content-type: application/json' -d '{body}'\n"
    )
    sys.stdout.flush()
    while args.hold:
        time.sleep(3600)


if __name__ == "__main__":
    main()
