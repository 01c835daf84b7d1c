"""Jobs feature: experiment jobs (submit, inspect, cancel, events)."""
