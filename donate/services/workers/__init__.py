"""The worker registry and its CSV imports."""
