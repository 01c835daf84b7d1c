"""Pure computations of serving: snapshot diff and stream frame encoding (no web, DB or Redis)."""
