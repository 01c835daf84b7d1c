"""qMachina serving service: immutable versions, aliases, rollback, diff, real-time stream."""
