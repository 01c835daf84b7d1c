"""Live-session runtime: supervisor around databento.Live, exact-once resume, bridge, worker."""
