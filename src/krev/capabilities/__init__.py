"""GET /api/v1/capabilities: which engine serves each kind of job on this server, and what it
can do."""
