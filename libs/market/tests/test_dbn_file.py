"""DbnFileSource: real Databento samples, filters, cursors, bounded chunks and bad input."""

from __future__ import annotations

from pathlib import Path

import databento as db
import numpy as np
import pytest
import zstandard

from qm_core.errors import Invalid, NotFound
from qm_market.dbn_file import DbnFileSource, read_all
from qm_market.envelope import F_SNAPSHOT, MBO_DTYPE, Cursor, advance_cursor

DATA = Path(__file__).parent / "data" / "databento"
GLBX_MBO = DATA / "GLBX.MDP3" / "test_data.mbo.dbn.zst"
XNAS_MBO = DATA / "XNAS.ITCH" / "test_data.mbo.dbn.zst"


@pytest.mark.parametrize("path", [GLBX_MBO, XNAS_MBO])
def test_real_samples_decode_like_databento(path: Path) -> None:
    ours = read_all(path)
    theirs = db.DBNStore.from_bytes(path.read_bytes()).to_ndarray()
    assert ours.dtype == MBO_DTYPE
    assert len(ours) == len(theirs) > 0
    for name in ("ts_event", "order_id", "price", "size", "flags", "instrument_id"):
        np.testing.assert_array_equal(ours[name], theirs[name])
    np.testing.assert_array_equal(ours["action"], theirs["action"])


def test_symbols_come_from_metadata_mappings() -> None:
    src = DbnFileSource(GLBX_MBO)
    assert src.symbols == {5482: "ESH1"}
    assert src.schema == "mbo"
    assert DbnFileSource(GLBX_MBO, symbol="ESH1").instrument_ids == {5482}


def test_live_capture_with_mixed_records_yields_only_mbo() -> None:
    rec = read_all(DATA / "LIVE" / "test_data.live.dbn.zst")
    assert len(rec) > 0
    assert set(rec["rtype"].tolist()) == {0xA0}


@pytest.mark.parametrize("name", ["definition", "mbp-10", "trades"])
def test_non_mbo_schema_is_rejected_by_name(name: str) -> None:
    with pytest.raises(Invalid, match=f"schema is {name}, not mbo"):
        DbnFileSource(DATA / "GLBX.MDP3" / f"test_data.{name}.dbn.zst")


def test_unknown_symbol_is_not_found() -> None:
    with pytest.raises(NotFound, match="instrument 'ESZ6' not in"):
        DbnFileSource(GLBX_MBO, symbol="ESZ6")


def _raw(path: Path) -> bytes:
    return zstandard.ZstdDecompressor().decompress(path.read_bytes(), max_output_size=1 << 20)


def test_truncated_file_names_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "cut.dbn"
    bad.write_bytes(_raw(GLBX_MBO)[:-20])
    with pytest.raises(Invalid, match="truncated DBN"):
        read_all(bad)


def test_corrupt_zstd_and_garbage_are_rejected(tmp_path: Path) -> None:
    data = GLBX_MBO.read_bytes()
    corrupt = tmp_path / "corrupt.dbn.zst"
    corrupt.write_bytes(data[:12] + bytes(b ^ 0x5A for b in data[12:]))
    with pytest.raises(Invalid, match="corrupt"):
        read_all(corrupt)
    garbage = tmp_path / "garbage.dbn"
    garbage.write_bytes(b"this is not dbn at all")
    with pytest.raises(Invalid, match="not a DBN file"):
        DbnFileSource(garbage)


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        DbnFileSource(tmp_path / "nope.dbn")


def test_small_chunks_give_same_records_and_zero_copy_views(synth_file: Path) -> None:
    whole = read_all(synth_file)
    batches = list(DbnFileSource(synth_file, chunk_bytes=56 * 1000))
    assert len(batches) > 3
    assert max(len(b) for b in batches) <= 1000
    assert not batches[0].records.flags.owndata  # a view over the decoded chunk
    np.testing.assert_array_equal(np.concatenate([b.records for b in batches]), whole)


def test_time_filter_keeps_snapshot_records(synth_file: Path) -> None:
    whole = read_all(synth_file)
    start = int(whole["ts_event"][len(whole) // 2])
    part = read_all(synth_file, start_ns=start)
    snap = (part["flags"] & F_SNAPSHOT) != 0
    assert snap.any()
    assert (part["ts_event"][~snap] >= start).all()
    assert len(part) < len(whole)


def test_cursor_counts_ordinal_within_timestamp() -> None:
    ts = np.array([5, 7, 7], dtype=np.uint64)
    cur = advance_cursor(None, ts)
    assert cur == Cursor(7, 1)
    assert advance_cursor(cur, np.array([7, 7], dtype=np.uint64)) == Cursor(7, 3)
    assert advance_cursor(cur, np.array([9], dtype=np.uint64)) == Cursor(9, 0)
