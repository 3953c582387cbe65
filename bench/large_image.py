"""Peak memory of taking in and analysing the largest image the API accepts: a square of
``KREV_MAX_IMAGE_PIXELS`` (6324x6324 at the default 40 MP cap), uploaded through a fresh
scale-out deployment's API (multipart, ``Prefer: respond-async``) and analysed by its one
``krev worker``. Each image gets its own deployment, so each VmHWM (peak resident memory,
/proc) is of that image alone: the worker's includes loading its models, as a worker's first
job would; the API's is the upload's, the process having served only health checks before.

Two images: a photo (a rendered evaluation photo scaled up) as JPEG, and a flat studio shot as
PNG, the small-in-bytes, large-in-pixels upload that used to cost the API process 1.5 GB.
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass

import httpx
import numpy as np
from PIL import Image, ImageDraw
from tests.support.product_photos import make_photo

from bench.deployments import Deployment
from bench.processes import rss_kib

PRODUCTS = "/api/v1/products"


@dataclass(frozen=True)
class LargeImageRun:
    image: str  # what was uploaded, e.g. "JPEG photo"
    width: int
    height: int
    upload_bytes: int
    status: str  # the product's status once analysed ("ready")
    seconds: float  # upload sent to product analysed
    api_idle_kib: int  # the API's VmRSS before the upload
    api_peak_kib: int  # the API's VmHWM after it
    worker_idle_kib: int  # the worker's VmRSS before the upload
    worker_peak_kib: int  # the worker's VmHWM once the product was analysed


def cap_side(max_pixels: int) -> int:
    """The side of the largest square the pixel cap accepts."""
    return math.isqrt(max_pixels)


def photo_jpeg(side: int) -> bytes:
    """Evaluation photo 0 (a product with a label on a studio background), scaled up."""
    small = Image.fromarray(np.ascontiguousarray(make_photo(0, 1024).image), "RGB")
    buffer = io.BytesIO()
    small.resize((side, side), Image.Resampling.BICUBIC).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def studio_png(side: int) -> bytes:
    """A flat studio shot: a light backdrop and one dark rounded product."""
    image = Image.new("RGB", (side, side), (236, 236, 232))
    ImageDraw.Draw(image).rounded_rectangle(
        (side * 3 // 10, side // 5, side * 7 // 10, side * 4 // 5),
        radius=side // 20,
        fill=(40, 70, 120),
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


IMAGES = {"JPEG photo": (photo_jpeg, "image/jpeg"), "PNG studio shot": (studio_png, "image/png")}


def run(deployment: Deployment, image: str, timeout: float = 600) -> LargeImageRun:
    if len(deployment.worker_pids) != 1:
        raise RuntimeError("the large-image run needs a deployment with one `krev worker`")
    worker = deployment.worker_pids[0]
    side = cap_side(deployment.settings.max_image_pixels)
    render, media_type = IMAGES[image]
    content = render(side)
    api_idle, worker_idle = rss_kib(deployment.api_pid), rss_kib(worker)
    started = time.perf_counter()
    with httpx.Client(
        base_url=deployment.base_url, headers=deployment.headers, timeout=120
    ) as client:
        response = client.post(
            PRODUCTS,
            files={"file": ("large", content, media_type)},
            headers={"Prefer": "respond-async"},
        )
        if response.status_code not in (200, 202):
            raise RuntimeError(f"the upload answered {response.status_code}: {response.text}")
        status = _wait_until_analysed(client, str(response.json()["data"]["id"]), timeout)
    return LargeImageRun(
        image=image,
        width=side,
        height=side,
        upload_bytes=len(content),
        status=status,
        seconds=time.perf_counter() - started,
        api_idle_kib=api_idle,
        api_peak_kib=rss_kib(deployment.api_pid, "VmHWM"),
        worker_idle_kib=worker_idle,
        worker_peak_kib=rss_kib(worker, "VmHWM"),
    )


def _wait_until_analysed(client: httpx.Client, product_id: str, timeout: float) -> str:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        product = client.get(PRODUCTS, params={"id": product_id}).json()["data"]
        if product["status"] != "analyzing":
            return str(product["status"])
        time.sleep(0.25)
    raise RuntimeError(f"the product was still analyzing after {timeout:g} s")


RSS_TARGET_KIB = 10**9 // 1024  # 1 GB, read strictly: 10^9 bytes, as the other worker target


def large_image_section(runs: list[LargeImageRun]) -> list[str]:
    lines = [
        "",
        "## Largest accepted image: peak memory",
        "",
        "A square at the pixel cap (`KREV_MAX_IMAGE_PIXELS`), uploaded once through a fresh "
        "scale-out deployment's API (multipart, `Prefer: respond-async`) and analysed by its "
        "one `krev worker` (background removal, colors, OCR), one deployment per image. "
        "*Peak* is the process's VmHWM (/proc) once the product was analysed: the worker's "
        "includes loading its models, as any worker's first job would; the API process had "
        "served only health checks before the upload. *JPEG photo*: evaluation photo 0 "
        "(1024²) scaled up, quality 92. *PNG studio shot*: a flat backdrop and one product, "
        "small in bytes and large in pixels. The API holds the image at full size once, to "
        "re-encode the stored original; the worker decodes that original (a JPEG) at half "
        "size and analyses it at the working size (`KREV_IMAGE_WORKING_SIDE`).",
        "",
        "| image | pixels | upload KB | status | upload → analysed s | API idle MiB "
        "| API peak MiB | worker idle MiB | worker peak MiB |",
        "|---|---|--:|---|--:|--:|--:|--:|--:|",
    ]
    for run in runs:
        lines.append(
            f"| {run.image} | {run.width}x{run.height} | {run.upload_bytes / 1000:,.0f} "
            f"| {run.status} | {run.seconds:.1f} | {run.api_idle_kib / 1024:.1f} "
            f"| {run.api_peak_kib / 1024:.1f} | {run.worker_idle_kib / 1024:.1f} "
            f"| {run.worker_peak_kib / 1024:.1f} |"
        )
    return lines


def large_image_targets(runs: list[LargeImageRun]) -> list[str]:
    worst = max(runs, key=lambda run: run.worker_peak_kib)
    met = all(run.worker_peak_kib <= RSS_TARGET_KIB and run.status == "ready" for run in runs)
    api = ", ".join(f"{run.image} {run.api_peak_kib / 1024:.1f} MiB" for run in runs)
    return [
        f"- worker peak RSS ≤ 1 GB (10^9 bytes) analysing the largest accepted image "
        f"({worst.width}x{worst.height}), each analysed ready: {'**met**' if met else '**missed**'}"
        f" ({worst.worker_peak_kib / 1024:.1f} MiB at most, {worst.image})",
        f"- API process peak RSS during that upload: no target is set ({api})",
    ]
