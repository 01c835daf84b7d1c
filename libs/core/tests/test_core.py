"""Errors, ids, clock and logging behave as the rest of the platform relies on."""

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from qm_core.clock import FixedClock, utcnow
from qm_core.errors import Invalid, NotFound, QuotaExceeded
from qm_core.ids import parse_workspace_id
from qm_core.logging import JsonFormatter, request_id_var


def test_error_categories_carry_code_and_status() -> None:
    assert (NotFound.code, NotFound.status) == ("not_found", 404)
    assert QuotaExceeded("x").status == 429
    assert Invalid("bad thing").detail == "bad thing"


def test_parse_workspace_id_rejects_garbage_with_a_clear_message() -> None:
    with pytest.raises(Invalid, match="not a valid UUID"):
        parse_workspace_id("nope")


def test_utcnow_is_timezone_aware() -> None:
    assert utcnow().tzinfo is UTC


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.advance(timedelta(seconds=5))
    assert clock.now() == datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2026, 1, 1))  # noqa: DTZ001


def test_json_log_line_carries_request_id_and_extra_fields() -> None:
    record = logging.LogRecord("qm.test", logging.INFO, __file__, 1, "hello %s", ("x",), None)
    record.workspace_id = "w1"
    token = request_id_var.set("req-1")
    try:
        line = json.loads(JsonFormatter("tenancy").format(record))
    finally:
        request_id_var.reset(token)
    assert line["msg"] == "hello x"
    assert line["request_id"] == "req-1"
    assert line["workspace_id"] == "w1"
    assert line["service"] == "tenancy"
