"""pytest plugin entry point of qm_testing (fixtures are registered here)."""
