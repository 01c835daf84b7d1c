"""Fixed vectors pin the canonical JSON form so it can be reimplemented elsewhere."""

import pytest

from qm_core.hashing import canonical_hash, canonical_json


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 1, "a": [True, None, "x"]}, b'{"a":[true,null,"x"],"b":1}'),
        ({"z": {"y": 2, "x": 1}}, b'{"z":{"x":1,"y":2}}'),
        (1.0, b"1"),
        (-0.0, b"0"),
        (0.1, b"0.1"),
        (1e21, b"1e+21"),
        (1e20, b"100000000000000000000"),
        (1.5e-7, b"1.5e-7"),
        (0.000001, b"0.000001"),
        (123.456, b"123.456"),
        (-2.5, b"-2.5"),
        ("é\n", '"é\\n"'.encode()),
        ([], b"[]"),
        (2**60, b"1152921504606846976"),
    ],
)
def test_canonical_json_vectors(value: object, expected: bytes) -> None:
    assert canonical_json(value) == expected


def test_canonical_hash_vector_is_stable() -> None:
    value = {"kind": "pipeline", "params": {"cell_width_ms": 100, "tau": 0.5}, "name": "demo"}
    assert (
        canonical_json(value)
        == b'{"kind":"pipeline","name":"demo","params":{"cell_width_ms":100,"tau":0.5}}'
    )
    assert canonical_hash(value) == canonical_hash(
        {"params": {"tau": 0.5, "cell_width_ms": 100.0}, "name": "demo", "kind": "pipeline"}
    )


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), {1: "x"}, {"a": object()}])
def test_canonical_json_rejects_what_json_cannot_say(bad: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        canonical_json(bad)
