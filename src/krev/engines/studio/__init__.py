"""The embedded CPU engine: needs no model weights and no network."""
