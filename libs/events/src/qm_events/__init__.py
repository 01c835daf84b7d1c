"""qMachina events: envelope, transactional outbox, Redis Stream relay, idempotent consumers."""
