"""Tenancy feature: flags."""
