"""Jobs feature: per-job artifacts with SHA-256 checksums."""
