"""Small shared building blocks: envelopes, repository base, time helpers."""
