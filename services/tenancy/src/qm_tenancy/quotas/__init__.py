"""Tenancy feature: quotas."""
