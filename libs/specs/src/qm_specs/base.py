"""Shared building blocks of every spec model: the strict base, names and the problem record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

CURRENT_SPEC_VERSION = 2

Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=64)]
"""A spec name: lower-case letters, digits and `_`, starting with a letter or digit."""


class StrictModel(BaseModel):
    """Base of every spec model: unknown keys are errors, no silent coercion, values immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a spec: where (file and dotted path inside it) and why."""

    file: str
    path: str
    reason: str

    def render(self) -> str:
        """The one-line form the CLI prints: `file: path.inside.file: reason`."""
        return f"{self.file}: {self.path or '<root>'}: {self.reason}"

    def as_dict(self) -> dict[str, str]:
        """JSON form, e.g. for an HTTP 422 body."""
        return {"file": self.file, "path": self.path, "reason": self.reason}


def join_path(*parts: str | int) -> str:
    """Dotted path with list indices in brackets: ('a', 0, 'b') -> 'a[0].b'."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out
