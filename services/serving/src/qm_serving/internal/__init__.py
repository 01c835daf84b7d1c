"""Internal API of serving: idempotent promotion for the modeling service."""
