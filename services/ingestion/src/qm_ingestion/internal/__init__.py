"""Internal API for other services (service token; never routed by the gateway)."""
