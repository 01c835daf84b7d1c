"""The platform's canonical JSON and SHA-256 (re-exported from qm_core.hashing) and spec hashes."""

from __future__ import annotations

from pydantic import BaseModel

from qm_core.hashing import canonical_hash, canonical_json, sha256_hex

__all__ = ["canonical_hash", "canonical_json", "sha256_hex", "spec_hash"]


def spec_hash(spec: BaseModel) -> str:
    """Content hash of one parsed spec as written (not resolved): SHA-256 of its canonical JSON."""
    return canonical_hash(spec.model_dump(mode="json"))
