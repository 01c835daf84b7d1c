"""Tenancy settings: shared web settings plus the dev issuer, quota defaults and flag defaults."""

from __future__ import annotations

from qm_web.settings import WebSettings

FLAGS = (
    "ff_live_ingestion",
    "ff_model_control_plane",
    "ff_experiment_jobs",
    "ff_guided_assistant",
    "ff_gold_dsl",
    "ff_monitoring_ops",
)

# Per-environment defaults; a workspace allowlist entry overrides them for that workspace.
FLAG_DEFAULTS: dict[str, dict[str, bool]] = {
    "local": dict.fromkeys(FLAGS, True),
    "ci": dict.fromkeys(FLAGS, True),
    "staging": {**dict.fromkeys(FLAGS, True), "ff_guided_assistant": False},
    "prod": {
        **dict.fromkeys(FLAGS, False),
        "ff_model_control_plane": True,
        "ff_experiment_jobs": True,
    },
}

AUDITED_SERVICES = ("tenancy", "ingestion", "modeling", "jobs", "gold-dsl", "serving", "monitoring")


class TenancySettings(WebSettings):
    """Env: QM_DEV_AUTH, QM_TENANCY_DEV_KEY_PATH, QM_DEV_TOKEN_TTL_S, QM_DEFAULT_MAX_* ..."""

    dev_auth: bool = False
    tenancy_dev_key_path: str = "var/dev-auth/dev-signing-key.json"
    dev_token_ttl_s: int = 3600
    default_max_jobs: int = 4
    default_max_streams: int = 8
    default_max_storage_gb: int = 50

    def flag_defaults(self) -> dict[str, bool]:
        """The flag defaults of this environment (unknown environments get the prod defaults)."""
        return FLAG_DEFAULTS.get(self.environment, FLAG_DEFAULTS["prod"])
