"""qMachina serving service: immutable versions, aliases with history, rollback, diff, real-time stream"""
