"""qMachina web edge: app factory, errors, JWT verification, principals, RBAC, membership."""
