"""Serving feature: structured diff of two versions' runtime snapshots."""
