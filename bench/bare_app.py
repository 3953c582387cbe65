"""The baseline: a bare FastAPI app returning a constant JSON body, served by uvicorn with
exactly the options ``krev serve`` uses (see ``krev.cli.serve``), so the ratio
ours/bare measures what Krev adds on top of the framework and server.

    python -m bench.bare_app --port 8001
"""

from __future__ import annotations

import argparse
from typing import Any

from fastapi import FastAPI

BODY: dict[str, Any] = {"success": True, "data": {"message": "constant"}}


def create_app() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/bare")
    async def bare() -> dict[str, Any]:
        return BODY

    # The same body from a sync endpoint, which FastAPI runs in its thread pool like ours.
    @app.get("/bare-sync")
    def bare_sync() -> dict[str, Any]:
        return BODY

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"success": True, "status": "ok"}

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        "bench.bare_app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=1,
        log_level="warning",
        access_log=False,
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
