"""qMachina dev stack: embedded Postgres/Valkey, Envoy rendering, process supervision."""
