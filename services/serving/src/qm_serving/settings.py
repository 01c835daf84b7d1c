"""Serving settings: shared web settings plus spec/data roots and stream tuning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import model_validator

from qm_web.settings import WebSettings


class ServingSettings(WebSettings):
    """Env: QM_SERVING_CONFIGS_DIR, QM_SERVING_DATA_ROOT, QM_SERVING_QUEUE_FRAMES, ...

    Field names carry the `serving_` prefix so the shared QM_ names (QM_DATABASE_URL, ...) stay.
    """

    serving_configs_dir: str = "configs"
    # Recorded sessions of dbn_file pipelines; default <var_dir>/data (QM_VAR_DIR).
    serving_data_root: str = "var/data"
    # Ingestion's internal API: which session stream feeds a live pipeline's symbol.
    serving_ingestion_url: str = "http://127.0.0.1:8102"
    # Frames buffered per subscriber before it starts dropping (about 1 s at 10 bins/s).
    serving_queue_frames: int = 8
    # Replay speed: 1.0 is wall-clock real time; tests and benches go faster.
    serving_pace: float = 1.0
    serving_stream_token_ttl_s: int = 60
    # HMAC key of stream tokens; empty means derive it from the service token.
    serving_stream_token_secret: str = ""
    # Cap on a replay's window in minutes (0 = the pipeline's whole capture window).
    serving_replay_minutes: float = 0.0
    # How often open streams of an alias look up where it points (they follow activations and
    # rollbacks made by any replica); one query per pass for all followed aliases.
    serving_alias_poll_s: float = 1.0
    # Compile the engine kernels in the background at start-up (off in most tests).
    serving_warm_up: bool = True

    @model_validator(mode="before")
    @classmethod
    def _under_var_dir(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data.setdefault("serving_data_root", str(Path(data.get("var_dir") or "var") / "data"))
        return data
