"""The HTTP clients and responses the tests' helpers take, whichever library sent them.

Starlette's TestClient is built on httpx2 when httpx2 is installed (the `mcp` package, a server
dependency, brings it) and on httpx otherwise, while the live-server tests call through httpx
itself. The two libraries' classes are alike but distinct types, so a helper that sends through
a client or reads a response takes either.
"""

from __future__ import annotations

from typing import TypeAlias

import httpx
import httpx2

AnyClient: TypeAlias = httpx.Client | httpx2.Client
AnyResponse: TypeAlias = httpx.Response | httpx2.Response
