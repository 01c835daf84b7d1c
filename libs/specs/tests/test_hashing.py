"""Fixed vectors for spec hashes on top of qm_core's canonical JSON (pinned for other languages)."""

from __future__ import annotations

import qm_core.hashing
import qm_specs
from qm_specs import InstrumentSpec, canonical_hash, canonical_json, spec_hash

_INSTRUMENT = {
    "kind": "instrument",
    "symbol": "VEC1",
    "root": "VEC",
    "product_type": "future_mbo",
    "tick_size": 0.25,
    "multiplier": 50,
    "price_decimals": 2,
    "session": {"open": "09:30", "close": "16:00"},
}


def test_specs_reexport_the_one_canonical_form() -> None:
    assert qm_specs.canonical_json is qm_core.hashing.canonical_json
    assert qm_specs.canonical_hash is qm_core.hashing.canonical_hash


def test_spec_hash_fixed_vector() -> None:
    spec = InstrumentSpec.model_validate(_INSTRUMENT)
    expected_json = (
        b'{"currency":"USD","dataset":"GLBX.MDP3","description":"","kind":"instrument",'
        b'"multiplier":50,"price_decimals":2,"product_type":"future_mbo","qty_unit":"contracts",'
        b'"root":"VEC","session":{"close":"16:00","open":"09:30","open_previous_day":false,'
        b'"rth_close":"16:00","rth_open":"09:30","timezone":"America/New_York"},"spec_version":2,'
        b'"symbol":"VEC1","synthetic":null,"tick_size":0.25}'
    )
    assert canonical_json(spec.model_dump(mode="json")) == expected_json
    assert spec_hash(spec) == "27146382911b3e7c7f6b023d1d0d28887c4edc99216397bad0bca15d176584cd"


def test_spec_hash_ignores_authoring_order_and_integral_float_spelling() -> None:
    reordered = dict(reversed(list(_INSTRUMENT.items())))
    reordered["multiplier"] = 50.0
    a = InstrumentSpec.model_validate(_INSTRUMENT)
    b = InstrumentSpec.model_validate(reordered)
    assert spec_hash(a) == spec_hash(b)


def test_spec_hash_changes_with_any_value() -> None:
    a = InstrumentSpec.model_validate(_INSTRUMENT)
    b = InstrumentSpec.model_validate({**_INSTRUMENT, "tick_size": 0.5})
    assert spec_hash(a) != spec_hash(b)
    assert canonical_hash({"x": 0.1}) != canonical_hash({"x": 0.10000000000000002})
