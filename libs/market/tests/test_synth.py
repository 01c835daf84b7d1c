"""Synthetic sessions: real DBN, deterministic per seed, the full mix of MBO actions."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import databento as db
import numpy as np

from qm_market.dbn_file import read_all
from qm_market.envelope import F_LAST, F_SNAPSHOT


def test_cli_writes_dbn_databento_can_read(tmp_path: Path, instruments_dir: Path) -> None:
    out = tmp_path / "es.dbn.zst"
    cmd = [
        sys.executable,
        "-m",
        "qm_market.synth",
        "--symbol",
        "ESZ6",
        "--date",
        "2026-03-02",
        "--start",
        "09:25",
        "--minutes",
        "0.5",
        "--seed",
        "7",
        "--out",
        str(out),
        "--instruments-dir",
        str(instruments_dir),
    ]
    summary = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    store = db.DBNStore.from_bytes(out.read_bytes())
    assert store.symbols == ["ESZ6"]
    assert len(store.to_ndarray()) == summary["records"] > 1000


def test_same_seed_same_bytes_other_seed_differs(
    tmp_path: Path, synth_file: Path, instruments_dir: Path
) -> None:
    from datetime import date

    from qm_market.instruments import load_instrument
    from qm_market.synth import SynthSpec, write_session

    inst = load_instrument(instruments_dir / "QMDEMO.yaml")
    again = tmp_path / "again.dbn.zst"
    write_session(SynthSpec(inst, date(2026, 3, 2), "09:30", 1.0, 5), again)
    assert again.read_bytes() == synth_file.read_bytes()
    other = tmp_path / "other.dbn.zst"
    write_session(SynthSpec(inst, date(2026, 3, 2), "09:30", 1.0, 6), other)
    assert other.read_bytes() != synth_file.read_bytes()


def test_flow_has_every_action_snapshot_and_bursts(synth_file: Path) -> None:
    rec = read_all(synth_file)
    actions = Counter(rec["action"].tolist())
    assert {b"A", b"C", b"M", b"T", b"F", b"R"} <= set(actions)
    assert rec["action"][0] == b"R"
    assert rec["flags"][0] & F_SNAPSHOT
    snap_end = int(np.flatnonzero(rec["flags"] & F_LAST)[0])
    assert (rec["flags"][: snap_end + 1] & F_SNAPSHOT).all()
    live_ts = rec["ts_event"][snap_end + 1 :]
    assert (np.diff(live_ts.astype(np.int64)) >= 0).all()
    assert (np.diff(live_ts.astype(np.int64)) == 0).sum() > 100  # same-ts bursts
    # every fill is followed (same event) by a cancel of the same order and size
    for i in np.flatnonzero(rec["action"] == b"F")[:200]:
        later = rec[i + 1 : i + 40]
        match = (later["action"] == b"C") & (later["order_id"] == rec["order_id"][i])
        assert match.any()
        assert later["size"][np.argmax(match)] == rec["size"][i]
