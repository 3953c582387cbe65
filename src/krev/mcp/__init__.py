"""The MCP server: Krev's API as tools for MCP clients (Claude Desktop, IDE agents, …).

A thin tool layer over Krev's own public HTTP API, called with the caller's bearer key, so one
set of rules holds for both: scopes, rate limits, validation, ownership and prices are the
API's. Served two ways (docs/mcp.md):

- by every API process at ``/mcp`` (``krev.mcp.http``): streamable HTTP in the SDK's
  stateless mode, so any process behind a load balancer answers any request; the tools call
  the API in-process, through the same ASGI app;
- over stdio (``.venv/bin/krev mcp --stdio``, ``krev.mcp.server.run_stdio``): the tools call a
  Krev server at ``KREV_BASE_URL`` with ``KREV_API_KEY``.

``tools`` defines the tools, ``api`` the HTTP calls they make, ``media`` the thumbnails that
come back with media, ``server`` the MCPServer for either transport.
"""
