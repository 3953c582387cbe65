"""GET /storage/{key}: serves local-storage objects to holders of a valid signed URL."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse

from krev.deps import RuntimeDep
from krev.errors import BadRequest, Forbidden, NotFound
from krev.storage import InvalidObjectKey, LocalStorage, ObjectNotFound, SignatureCheck

router = APIRouter(tags=["storage"])

_REFUSALS = {
    SignatureCheck.MISSING: "This storage URL is not signed. Use the signed URL from the API.",
    SignatureCheck.INVALID: "This storage URL's signature is invalid.",
    SignatureCheck.EXPIRED: "This storage URL has expired. Fetch a fresh one from the API.",
}


@router.get("/storage/{key:path}", name="get_object", include_in_schema=False)
def get_object(
    key: str,
    request: Request,
    runtime: RuntimeDep,
    expires: Annotated[str | None, Query()] = None,
    signature: Annotated[str | None, Query()] = None,
) -> FileResponse:
    # FastAPI hands over the last of repeated values; a URL that carries two is not one we
    # signed, and which of them a cache or proxy in between would read is anyone's guess.
    for name in ("expires", "signature"):
        if len(request.query_params.getlist(name)) > 1:
            raise BadRequest(
                f"This storage URL carries '{name}' more than once. "
                "Use the signed URL exactly as the API returned it."
            )
    storage = runtime.storage
    if not isinstance(storage, LocalStorage):
        raise NotFound("Objects are served by the object store's own signed URLs.")
    check = storage.verify_signature(key, expires, signature)
    if check is not SignatureCheck.OK:
        raise Forbidden(_REFUSALS[check])
    try:
        path = storage.local_path(key)
    except (InvalidObjectKey, ObjectNotFound):  # e.g. a file deleted since the URL was signed
        raise NotFound("Object not found.") from None
    if not path.is_file():
        raise NotFound("Object not found.")
    max_age = max(0, int(expires or 0) - int(time.time()))
    return FileResponse(
        path,
        media_type=storage.content_type(key),
        headers={"Cache-Control": f"private, max-age={max_age}"},
    )
