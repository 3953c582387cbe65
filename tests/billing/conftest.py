"""Billing fixtures: the test app served by a real uvicorn server, for concurrent clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from krev.platform.runtime import Runtime
from tests.support.live_server import LiveServer


@pytest.fixture
def live_server(runtime: Runtime) -> Iterator[LiveServer]:
    """The test app over this test's runtime, served by uvicorn on a free loopback port."""
    with LiveServer.for_runtime(runtime) as server:
        yield server
