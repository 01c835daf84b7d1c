"""qMachina pytest plugin: real Postgres and Redis (env URL or embedded), per-test rollback, HTTP client, principals"""
