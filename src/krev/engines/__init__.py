"""Engines: pure code behind small capability interfaces (no DB, no HTTP, no settings)."""
