"""qMachina specs: strict pydantic spec models, canonical hashing, validation CLI, legacy shim, preflight"""
