"""Krev: a self-hostable implementation of the Krev API v1."""

__version__ = "0.1.0"
