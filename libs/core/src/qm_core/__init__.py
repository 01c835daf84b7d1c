"""qMachina core: the small shared vocabulary every other package builds on."""
