"""Content addressing of published specs: the serving id and the stored-bytes digest."""

from __future__ import annotations

import re
from typing import Any

from qm_core.hashing import canonical_hash, canonical_json, sha256_hex
from qm_specs import PublishedServingSpec

_ID_DIGITS = 20


def identity_hash(spec: dict[str, Any]) -> str:
    """SHA-256 of the canonical published spec without its own id and promotion time.

    The id cannot cover itself, and the same content promoted twice is the same version.
    """
    lineage = {k: v for k, v in spec["lineage"].items() if k != "promoted_at"}
    content = {k: v for k, v in spec.items() if k != "serving_id"}
    return canonical_hash({**content, "lineage": lineage})


def serving_id_for(spec: dict[str, Any]) -> str:
    """`srv_<spec name>_<first 20 hex of identity_hash>` (fits the 64-char spec name rule)."""
    name = re.sub(r"[^a-z0-9_]", "_", str(spec["lineage"]["serving_spec_name"]))[:38]
    return f"srv_{name}_{identity_hash(spec)[:_ID_DIGITS]}"


def with_identity(spec: PublishedServingSpec) -> PublishedServingSpec:
    """The spec carrying its content-derived serving id."""
    dumped = spec.model_dump(mode="json")
    return spec.model_copy(update={"serving_id": serving_id_for(dumped)})


def stored_form(spec: PublishedServingSpec) -> tuple[str, str]:
    """(canonical JSON text, its SHA-256): the stored bytes and the digest kept beside them."""
    data = canonical_json(spec.model_dump(mode="json"))
    return data.decode("utf-8"), sha256_hex(data)
