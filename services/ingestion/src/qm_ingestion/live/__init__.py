"""Live sessions: API, tables and use cases."""
