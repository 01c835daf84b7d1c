"""Tenancy feature: workspaces."""
