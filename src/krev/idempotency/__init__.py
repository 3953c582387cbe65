"""Idempotency-Key on POSTs: the first response is kept and replayed to retries."""
