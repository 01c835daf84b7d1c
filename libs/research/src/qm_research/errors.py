"""Errors of the research harness: each one fails a single run, with a message saying why."""

from __future__ import annotations


class RunError(Exception):
    """Base class: a run spec could not produce a result."""


class InvalidParam(RunError):
    """A signal parameter is unknown, of the wrong type or out of range (never a fallback)."""


class DatasetMissing(RunError):
    """The dataset a run needs is not in the lake, or lacks a column the signal reads."""


class LookAhead(RunError):
    """A signal's past values changed when future data was removed: it peeks at the future."""


class Cancelled(RunError):
    """The experiment was cancelled while this run was in progress."""
