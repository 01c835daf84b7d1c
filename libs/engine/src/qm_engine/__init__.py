"""qMachina engine: numba L3 book, event-time physics, silver bins, gold VP kernel, datasets"""
