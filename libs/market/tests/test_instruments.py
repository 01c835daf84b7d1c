"""Instrument YAMLs: every file validates; bad files fail naming the problem."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from qm_core.errors import Invalid, NotFound
from qm_market.instruments import find_instrument, load_instrument


def test_every_instrument_yaml_validates(instruments_dir: Path) -> None:
    files = sorted(instruments_dir.glob("*.yaml"))
    assert {f.stem for f in files} >= {"ESZ6", "QMDEMO"}
    for file in files:
        inst = load_instrument(file)
        assert inst.kind == "instrument"
        assert inst.symbol == file.stem


def test_esz6_facts_and_dst_aware_times(instruments_dir: Path) -> None:
    es = find_instrument("ESZ6", instruments_dir)
    assert es.tick_int == 250_000_000
    assert es.multiplier == 50
    # 09:30 New York is 14:30 UTC in winter (EST) and 13:30 UTC in summer (EDT)
    assert es.et_to_ns(date(2026, 3, 2), "09:30") % 86_400_000_000_000 == 52_200 * 10**9
    assert es.et_to_ns(date(2026, 6, 1), "09:30") % 86_400_000_000_000 == 48_600 * 10**9


def test_unknown_key_and_bad_tick_are_rejected(tmp_path: Path, instruments_dir: Path) -> None:
    text = (instruments_dir / "QMDEMO.yaml").read_text()
    extra = tmp_path / "extra.yaml"
    extra.write_text(text + "surprise: 1\n")
    with pytest.raises(Invalid, match="surprise"):
        load_instrument(extra)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("tick_size: 0.5", "tick_size: -1"))
    with pytest.raises(Invalid, match="tick_size"):
        load_instrument(bad)


def test_unknown_instrument_is_not_found(instruments_dir: Path) -> None:
    with pytest.raises(NotFound, match="unknown instrument 'NOPE'"):
        find_instrument("NOPE", instruments_dir)
