"""Benchmarks: `python -m bench [name ...]` runs them and writes var/bench/<name>.json."""
