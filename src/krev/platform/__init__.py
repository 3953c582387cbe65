"""The shared infrastructure every domain stands on; it imports no domain."""
