"""Serving feature: immutable, content-addressed serving versions."""
