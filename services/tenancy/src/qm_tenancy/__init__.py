"""qMachina tenancy service: workspaces, members, quotas, flags, audit chain, dev issuer."""
