"""Stored objects a user owns, and their usage counted against the plan's storage."""
