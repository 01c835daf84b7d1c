"""qMachina tenancy service: workspaces, members, quotas, feature flags, audit chain, dev OIDC issuer"""
