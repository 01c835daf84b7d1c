"""qMachina events: CloudEvents-shaped envelope, transactional outbox, Redis Stream relay, idempotent consumers"""
