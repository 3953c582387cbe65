"""Provider overhead (issue 11): what our side costs around a hosted image provider.

A local server speaking OpenAI's Images API answers at once with an image encoded before the
run (so its own time is a dictionary lookup), and the ``image`` pipeline's worker work runs
against it exactly as for a job (``krev.images.tasks.render_variants`` with the registry's
``openai`` provider: the HTTP call, base64 and PNG decode, size check, crop, WebP encode). In the
same run, the WebP encode of the same output alone: every engine pays it, so our overhead is the
difference.

``python -m bench.providers [runs]`` runs this section alone and prints it.
"""

from __future__ import annotations

import base64
import io
import json
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
from PIL import Image

from krev.engines.providers import ImageGenerationRequest, ImageGenerator
from krev.images import tasks
from krev.platform.config import Settings
from krev.platform.imaging import encode_webp
from krev.providers import registry

HOSTED_OVERHEAD_TARGET_MS = 50.0  # per image, our side of a provider that answers at once
SIZE = (1024, 1024)


def _png(width: int, height: int) -> bytes:
    rng = np.random.default_rng(7)
    # A smooth image with some texture: a realistic PNG size for a generated photo.
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // width, y * 255 // height, (x + y) * 255 // (width + height)], -1)
    noisy = np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noisy, "RGB").save(buffer, "PNG")
    return buffer.getvalue()


@contextmanager
def instant_images_api() -> Iterator[str]:
    """An OpenAI-compatible /v1/images/generations that answers with a prepared image."""
    body = json.dumps(
        {"created": 0, "data": [{"b64_json": base64.b64encode(_png(*SIZE)).decode()}]}
    )
    answer = body.encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class ProviderResults:
    runs: int
    seconds: list[float] = field(default_factory=list)  # one image through the pipeline
    encode_seconds: list[float] = field(default_factory=list)  # its WebP encode alone

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

    @property
    def encode_s(self) -> float:
        return statistics.median(self.encode_seconds)

    @property
    def overhead_ms(self) -> float:
        return (self.median_s - self.encode_s) * 1000


def run(runs: int = 15) -> ProviderResults:
    results = ProviderResults(runs)
    with instant_images_api() as base_url:
        settings = Settings(
            image_engine="openai", openai_images_base_url=base_url, openai_images_api_key="bench"
        )
        generator: ImageGenerator = registry.provider(settings, "image", "openai")
        finish = tasks.Finish(
            asked=SIZE,
            size=SIZE,
            cutouts=[],
            canvas=None,
            upscaler=registry.provider(settings, "upscale", "studio"),
            hd_size=None,
            fidelity_threshold=settings.image_fidelity_threshold,
        )
        request = ImageGenerationRequest(prompt="A ceramic teapot", width=SIZE[0], height=SIZE[1])
        pixels = Image.open(io.BytesIO(_png(*SIZE))).convert("RGB")
        for attempt in range(runs + 1):
            started = time.perf_counter()
            variants = tasks.render_variants(generator, [request], finish, threads=1)
            seconds = time.perf_counter() - started
            assert (variants[0].width, variants[0].height) == SIZE
            started = time.perf_counter()
            encode_webp(pixels, quality=tasks.STANDARD_QUALITY)
            encode = time.perf_counter() - started
            if attempt:  # the first is a warm-up (connections, imports)
                results.seconds.append(seconds)
                results.encode_seconds.append(encode)
    return results


def providers_section(r: ProviderResults) -> list[str]:
    return [
        "",
        "## Provider overhead (issue 11)",
        "",
        "One 1024² text-only image through the `image` pipeline's worker work "
        "(`krev.images.tasks.render_variants`) with the registry's `openai` provider against a "
        "local server speaking the Images API that answers at once with an image prepared "
        "before the run; beside it, in the same run, the WebP encode of the same pixels, which "
        f"every engine pays. Median of {r.runs} runs after one warm-up.",
        "",
        "| row | median ms |",
        "|---|--:|",
        f"| through the pipeline (HTTP, base64, PNG decode, checks, WebP) "
        f"| {r.median_s * 1000:.1f} |",
        f"| WebP encode alone | {r.encode_s * 1000:.1f} |",
        f"| **our overhead** | **{r.overhead_ms:.1f}** |",
    ]


def providers_targets(r: ProviderResults) -> list[str]:
    met = r.overhead_ms <= HOSTED_OVERHEAD_TARGET_MS
    return [
        f"- A hosted provider's overhead (our side, a server answering at once) ≤ "
        f"{HOSTED_OVERHEAD_TARGET_MS:.0f} ms per image: {'**met**' if met else '**missed**'} "
        f"({r.overhead_ms:.1f} ms)"
    ]


def main() -> None:
    import sys

    results = run(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
    print("\n".join([*providers_section(results), "", *providers_targets(results)]))


if __name__ == "__main__":
    main()
