"""Jobs feature: results of finished runs."""
