"""Premiums sent to BPJS in batches, and BPJS's answers."""
