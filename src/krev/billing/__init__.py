"""Credits: the append-only ledger, plans, prices, monthly resets and /credits."""
