"""Field types shared by several spec kinds (times, dates, kind/version headers)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints


def _reject_yaml_sexagesimal(value: Any) -> Any:
    # YAML 1.1 reads an unquoted 09:25 as the base-60 integer 565; say so instead of a type error
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            "write the time as a quoted string 'HH:MM' (YAML read an unquoted time as a number)"
        )
    return value


HHMM = Annotated[
    str,
    BeforeValidator(_reject_yaml_sexagesimal),
    StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$"),
]
"""Wall-clock time `HH:MM` (24 h)."""

SessionDate = Annotated[dt.date, Field(strict=False)]
"""A calendar date; YAML dates and ISO strings (`2026-03-02`) are both accepted."""

SpecVersion = Literal[2]
"""Current authoring format. Version 1 is the legacy form, accepted only through the shim."""

Timezone = Literal["America/New_York"]
