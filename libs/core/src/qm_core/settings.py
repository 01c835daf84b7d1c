"""Settings base: every service's settings subclass this and are built once at start-up."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class QmSettings(BaseSettings):
    """Common settings shared by every process (env prefix QM_)."""

    model_config = SettingsConfigDict(env_prefix="QM_", extra="ignore", frozen=True)

    environment: str = "local"
    log_level: str = "INFO"
    log_json: bool = True
    # Where local state lives (QM_VAR_DIR): the lake, artifacts, demo data, embedded stores.
    var_dir: Path = Path("var")


def service_settings_config(service: str) -> SettingsConfigDict:
    """The settings config of one service: env prefix QM_<SVC>_ (dashes become underscores)."""
    prefix = "QM_" + service.upper().replace("-", "_") + "_"
    return SettingsConfigDict(env_prefix=prefix, extra="ignore", frozen=True)
