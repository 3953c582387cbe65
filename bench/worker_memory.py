"""Peak memory of a `krev worker` analysing products, as a deployment runs it: photos
uploaded through the API (multipart, ``Prefer: respond-async``), analysed by the scale-out
deployment's worker processes, and each worker's VmHWM (peak resident memory) read from
/proc once every product is ready. This is the issue's "worker peak RSS", measured on the
process that holds it rather than on the bench process."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import httpx
from PIL import Image
from tests.support.product_photos import make_photo

from bench.deployments import Deployment
from bench.processes import rss_kib

PRODUCTS = "/api/v1/products"


@dataclass(frozen=True)
class WorkerMemory:
    products: int
    ready: int
    seconds: float  # first upload to the last product ready
    peak_rss_kib: int  # the largest VmHWM among the worker processes
    idle_rss_kib: int  # the largest VmRSS among them before the uploads
    workers: str


def run(
    deployment: Deployment, n: int = 40, size: int = 1024, timeout: float = 900
) -> WorkerMemory:
    if not deployment.worker_pids:
        raise RuntimeError("the deployment has no `krev worker` process to measure")
    idle = max(rss_kib(pid) for pid in deployment.worker_pids)
    started = time.perf_counter()
    with httpx.Client(
        base_url=deployment.base_url, headers=deployment.headers, timeout=60
    ) as client:
        ids = [_upload(client, index, size) for index in range(n)]
        ready = _wait_until_analysed(client, ids, started + timeout)
    seconds = time.perf_counter() - started
    peak = max(rss_kib(pid, "VmHWM") for pid in deployment.worker_pids)
    return WorkerMemory(n, ready, seconds, peak, idle, deployment.workers)


def _upload(client: httpx.Client, index: int, size: int) -> str:
    buffer = io.BytesIO()
    Image.fromarray(make_photo(index, size).image).save(buffer, format="JPEG", quality=92)
    response = client.post(
        PRODUCTS,
        files={"file": (f"photo-{index}.jpg", buffer.getvalue(), "image/jpeg")},
        headers={"Prefer": "respond-async"},
    )
    if response.status_code not in (200, 202):
        raise RuntimeError(f"upload {index} answered {response.status_code}: {response.text}")
    return str(response.json()["data"]["id"])


def _wait_until_analysed(client: httpx.Client, ids: list[str], deadline: float) -> int:
    pending = set(ids)
    ready = 0
    while pending and time.perf_counter() < deadline:
        for product_id in list(pending):
            product = client.get(PRODUCTS, params={"id": product_id}).json()["data"]
            if product["status"] != "analyzing":
                pending.discard(product_id)
                ready += product["status"] == "ready"
        if pending:
            time.sleep(0.5)
    if pending:
        raise RuntimeError(f"{len(pending)} products still analyzing at the deadline")
    return ready
