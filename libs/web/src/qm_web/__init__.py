"""qMachina web edge: app factory, error rendering, JWT verification, principal, RBAC policy, membership lookup"""
