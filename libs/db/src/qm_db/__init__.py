"""qMachina database layer: table bases, engines, unit of work, workspace scoping, RLS."""
