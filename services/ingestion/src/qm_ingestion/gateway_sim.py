"""`python -m qm_ingestion.gateway_sim`: the local stack's simulated Databento gateway.

30 minutes of synthetic ES rolling ESZ6 -> ESH7 half way (1.47 M records of both contracts),
played at 600 records/s: about 40 minutes of wall clock, the roll after about 20. On the port
the worker dials (QM_INGESTION_GATEWAY_PORT, default 13000; control port = that + 1). Steer it
with `python -m qm_market.lsg_sim fault reset` (or close/silence/error/slow).
"""

from __future__ import annotations

from qm_ingestion.settings import IngestionSettings
from qm_market.lsg_sim.cli import main as lsg_main


def main() -> None:
    """Entry point."""
    settings = IngestionSettings()
    port = settings.ingestion_gateway_port
    lsg_main(
        [
            "serve",
            "--port",
            str(port),
            "--control-port",
            str(port + 1),
            "--key",
            settings.ingestion_databento_key,
            "--minutes",
            "30",
            "--rate",
            "600",
            "--roll-to",
            "ESH7:42140999",
            "--roll-fraction",
            "0.5",
        ]
    )


if __name__ == "__main__":
    main()
