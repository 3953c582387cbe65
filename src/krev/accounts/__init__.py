"""Users, dashboard sessions, API keys and scopes."""
