"""Accounts, staff roles and the audit log."""
