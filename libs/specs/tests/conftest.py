"""Shared paths and loaded registries for the qm_specs tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from qm_specs import SpecRegistry
from qm_specs.loader import Document
from qm_specs.validate import load_documents

CONFIGS = Path(__file__).resolve().parents[3] / "configs"


@pytest.fixture(scope="session")
def config_docs() -> list[Document]:
    return load_documents([CONFIGS])


@pytest.fixture(scope="session")
def registry(config_docs: list[Document]) -> SpecRegistry:
    return SpecRegistry(d.spec for d in config_docs if d.spec is not None)
