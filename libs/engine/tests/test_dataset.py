"""Datasets: content-addressed ids, deterministic bytes, immutability, bad input leaves nothing."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import qm_engine.dataset as dataset_module
import qm_engine.dataset._writer as writer_module
from qm_core.errors import Invalid, NotFound
from qm_engine.dataset import FILES, build_dataset, load_dataset
from qm_engine.fields import GOLD_NAMES, SILVER_NAMES, EngineParams
from qm_market.dbn_file import DbnFileSource
from qm_market.instruments import load_instrument

START = 1_772_461_500_000_000_000  # 2026-03-02 09:25 New York
END = START + 20_000_000_000
P = EngineParams(grid_radius_ticks=4)


def build(src: Path, inst: Path, lake: Path, params: EngineParams = P, **kw: int):  # type: ignore[no-untyped-def]
    window = {"start_ns": START, "end_ns": END, **kw}
    return build_dataset(source=src, instrument=inst, lake=lake, params=params, **window)


def leftovers(lake: Path) -> list[str]:
    root = lake / "datasets"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_same_inputs_same_id_and_bytes(
    synth_session: Path, es_instrument_path: Path, tmp_path: Path
) -> None:
    a = build(synth_session, es_instrument_path, tmp_path / "a")
    b = build(synth_session, es_instrument_path, tmp_path / "b")
    assert a.dataset_id == b.dataset_id
    for name in (*FILES, "manifest.json", "checksums.json"):
        assert (a.path / name).read_bytes() == (b.path / name).read_bytes(), name
    assert a.manifest["counts"]["bins"] == 200
    silver = pq.read_table(a.path / "silver.parquet")
    assert silver.num_rows == 200 * 9
    assert silver.column_names == ["bin_seq", *SILVER_NAMES]
    assert set(GOLD_NAMES) <= set(pq.read_table(a.path / "gold.parquet").column_names)
    assert a.manifest["key"]["params"]["grid_radius_ticks"] == 4


def test_changed_parameter_gives_new_id(
    synth_session: Path, es_instrument_path: Path, tmp_path: Path
) -> None:
    a = build(synth_session, es_instrument_path, tmp_path)
    b = build(
        synth_session,
        es_instrument_path,
        tmp_path,
        EngineParams(grid_radius_ticks=4, tau_velocity=2.5),
    )
    assert a.dataset_id != b.dataset_id
    assert leftovers(tmp_path) == sorted([a.dataset_id, b.dataset_id])


def test_dataset_is_immutable_and_verified(
    synth_session: Path, es_instrument_path: Path, tmp_path: Path
) -> None:
    a = build(synth_session, es_instrument_path, tmp_path)
    stamp = {n: (a.path / n).stat().st_mtime_ns for n in FILES}
    again = build(synth_session, es_instrument_path, tmp_path)
    assert again.dataset_id == a.dataset_id
    assert stamp == {n: (a.path / n).stat().st_mtime_ns for n in FILES}
    assert not (a.path / "bins.parquet").stat().st_mode & 0o222
    target = a.path / "bins.parquet"
    target.chmod(0o644)
    target.write_bytes(target.read_bytes() + b"x")
    with pytest.raises(Invalid, match=r"checksum mismatch for bins\.parquet"):
        load_dataset(tmp_path, a.dataset_id)


def test_truncated_source_fails_and_leaves_nothing(
    synth_session: Path, es_instrument_path: Path, tmp_path: Path
) -> None:
    import zstandard

    raw = zstandard.ZstdDecompressor().decompress(
        synth_session.read_bytes(), max_output_size=1 << 30
    )
    cut = tmp_path / "cut.dbn"
    cut.write_bytes(raw[: len(raw) // 3 - 5])
    with pytest.raises(Invalid, match="truncated DBN"):
        build(cut, es_instrument_path, tmp_path / "lake", end_ns=START + 300_000_000_000)
    assert leftovers(tmp_path / "lake") == []


def test_non_mbo_unknown_instrument_and_empty_window(
    synth_session: Path, es_instrument_path: Path, tmp_path: Path
) -> None:
    trades = (
        Path(__file__).parents[2] / "market/tests/data/databento/GLBX.MDP3/test_data.trades.dbn.zst"
    )
    with pytest.raises(Invalid, match="not mbo"):
        build(trades, es_instrument_path, tmp_path)
    demo = es_instrument_path.parent / "QMDEMO.yaml"
    with pytest.raises(NotFound, match="instrument 'QMDEMO' not in"):
        build(synth_session, demo, tmp_path)
    with pytest.raises(Invalid, match="empty window"):
        build(
            synth_session,
            es_instrument_path,
            tmp_path,
            start_ns=START - 10**12,
            end_ns=START - 10**12 + 10**9,
        )
    with pytest.raises(Invalid, match="empty window"):
        build(synth_session, es_instrument_path, tmp_path, end_ns=START)
    assert leftovers(tmp_path) == []
    assert load_instrument(es_instrument_path).symbol == "ESZ6"


def test_cli_builds_and_reports_errors(
    synth_session: Path, es_instrument_path: Path, tmp_path: Path
) -> None:
    cmd = [
        sys.executable,
        "-m",
        "qm_engine.dataset",
        "build",
        "--source",
        str(synth_session),
        "--instrument",
        str(es_instrument_path),
        "--start",
        "2026-03-02T09:25",
        "--end",
        "2026-03-02T09:25:10",
        "--param",
        "grid_radius_ticks=3",
        "--lake",
        str(tmp_path),
    ]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    out = json.loads(done.stdout)
    assert out["counts"]["bins"] == 100
    assert (
        load_dataset(tmp_path, out["dataset_id"]).manifest["key"]["params"]["grid_radius_ticks"]
        == 3
    )
    bad = subprocess.run(
        [*cmd[:-4], "--param", "nope=1", "--lake", str(tmp_path)], capture_output=True, text=True
    )
    assert bad.returncode == 2
    assert "nope" in bad.stderr


def test_bytes_do_not_depend_on_the_read_batch_size(
    synth_session: Path, es_instrument_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = build(synth_session, es_instrument_path, tmp_path / "a")
    small = functools.partial(DbnFileSource, chunk_bytes=56 * 997)
    monkeypatch.setattr(dataset_module, "DbnFileSource", small)
    b = build(synth_session, es_instrument_path, tmp_path / "b")
    assert a.dataset_id == b.dataset_id
    for name in FILES:
        assert (a.path / name).read_bytes() == (b.path / name).read_bytes(), name


def test_a_failing_writer_thread_fails_the_build_and_leaves_nothing(
    synth_session: Path, es_instrument_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(writer_module, "gold_table", broken)
    with pytest.raises(OSError, match="disk full"):
        build(synth_session, es_instrument_path, tmp_path)
    assert leftovers(tmp_path) == []
