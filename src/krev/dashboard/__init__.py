"""The dashboard: a small page over the same API (login, credits, API keys)."""
