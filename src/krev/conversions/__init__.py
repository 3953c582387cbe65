"""Meta Conversions API: server-side events forwarded to Meta reliably (outbox + worker)."""
