"""GET /api/v1/capabilities."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from krev.accounts.auth import Principal, get_principal
from krev.capabilities import service
from krev.capabilities.schemas import CapabilitiesOut
from krev.kit.envelope import ERROR_RESPONSES, Envelope, ok
from krev.platform.deps import RuntimeDep
from krev.platform.routing import api_router

router = api_router(prefix="/api/v1/capabilities", tags=["capabilities"], responses=ERROR_RESPONSES)


@router.get("", name="get", response_model=Envelope[CapabilitiesOut])
def get_capabilities(
    _principal: Annotated[Principal, Depends(get_principal)], runtime: RuntimeDep
) -> dict[str, Any]:
    """Which engine serves each kind of job on this server and what it can do: above all,
    whether a prompt without `product_id` may ask for a subject (`text_only_subjects`). The
    embedded studio engine cannot draw one; the reference's text-only examples need a
    generative engine (`KREV_IMAGE_ENGINE`). Any valid key may ask."""
    return ok(service.capabilities(runtime.settings))
