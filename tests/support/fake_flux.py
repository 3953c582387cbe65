"""What the local stand-ins for hosted FLUX and Seedance (fake_fal, fake_replicate) share: jobs
that advance one state per poll, real PNGs of the size the model would render (or, for a video
model, a real MP4: ``tests.support.clips.seedance_clip``), served from the fake itself, and the
scripted misbehaviour tests ask for.

    fake.fail_next("submit", 429, retry_after=3)  # the next submit answers 429 + Retry-After
    fake.fail_next("status", 503, times=2)        # the next two polls answer 503
    fake.slow_down("result", 5.0, times=1)        # the next result takes 5 s (timeouts)
    fake.hold()                                   # running jobs stay running until release()
    fake.expire_results()                         # image URLs answer 404 from now on
    fake.submissions                              # every accepted job, in order
    fake.cancelled                                # ids of jobs whose cancel was called

Prompts containing ``REFUSED_WORD`` are refused the way each provider refuses them.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

import numpy as np
from PIL import Image

from tests.support.clips import seedance_clip
from tests.support.local_http import LocalHTTPServer

REFUSED_WORD = "forbidden"

State = Literal["queued", "running", "done", "failed", "cancelled"]


@dataclass
class FakeJob:
    id: str
    model: str
    inputs: dict[str, Any]
    width: int
    height: int
    count: int
    canvas: np.ndarray | None = None  # (h, w, 3) uint8: the image a fill model paints around
    mask: np.ndarray | None = None  # (h, w) bool: True where it paints
    state: State = "queued"
    error: str | None = None
    polls: int = 0
    refused: bool = False
    duration: int = 0  # a video model's job: the clip's seconds (0: an image job)
    first_frame: np.ndarray | None = None  # (h, w, 3) uint8: the image a video starts from
    with_audio: bool = False
    clip: bytes | None = None  # the MP4, rendered on first request

    @property
    def is_video(self) -> bool:
        return self.duration > 0


@dataclass
class _Fault:
    operation: str
    status: int
    times: int
    retry_after: float | None
    kind: str | None


@dataclass
class _Script:
    faults: list[_Fault] = field(default_factory=list)
    slow: dict[str, tuple[float, int | None]] = field(default_factory=dict)


def decode_image_data_uri(value: Any) -> Image.Image:
    """The PNG or JPEG in a ``data:image/png;base64,`` or ``data:image/jpeg;base64,`` URI;
    ValueError for anything else."""
    if not isinstance(value, str) or not value.startswith(
        ("data:image/png;base64,", "data:image/jpeg;base64,")
    ):
        raise ValueError("expected a data:image/png or data:image/jpeg base64 URI")
    declared = "PNG" if value.startswith("data:image/png") else "JPEG"
    raw = base64.b64decode(value.partition(",")[2], validate=True)
    with Image.open(io.BytesIO(raw)) as picture:
        if picture.format != declared:
            raise ValueError(f"not a {declared}")
        picture.load()
        return picture.copy()


def decode_png_data_uri(value: Any) -> Image.Image:
    """The PNG in a ``data:image/png;base64,`` URI; ValueError for anything else."""
    if not isinstance(value, str) or not value.startswith("data:image/png;base64,"):
        raise ValueError("expected a data:image/png;base64 URI")
    raw = base64.b64decode(value.partition(",")[2], validate=True)
    with Image.open(io.BytesIO(raw)) as picture:
        if picture.format != "PNG":
            raise ValueError("not a PNG")
        picture.load()
        return picture.copy()


def render(job: FakeJob, index: int) -> bytes:
    """The job's ``index``-th image as PNG bytes: a scene that depends on prompt, seed and
    index, painted only where the mask says (the rest is the canvas, as a fill model keeps it);
    black where the safety checker flagged it."""
    digest = hashlib.sha256(
        f"{job.inputs.get('prompt')}|{job.inputs.get('seed')}|{index}".encode()
    ).digest()
    top = np.array(list(digest[:3]), dtype=np.float32)
    bottom = np.array(list(digest[3:6]), dtype=np.float32)
    ramp = np.linspace(0.0, 1.0, job.height, dtype=np.float32)[:, None, None]
    scene = (top * (1 - ramp) + bottom * ramp).repeat(job.width, axis=1)
    scene[job.height * 2 // 3 :, :, :] *= 0.6  # a floor under a wall
    pixels = np.clip(scene, 0, 255).astype(np.uint8)
    if job.canvas is not None and job.mask is not None:
        pixels = np.where(job.mask[:, :, None], pixels, job.canvas)
    if job.refused:
        pixels = np.zeros_like(pixels)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, format="PNG")
    return buffer.getvalue()


class FluxFake(LocalHTTPServer):
    """Jobs, files and scripted faults; subclasses speak one provider's protocol."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], *, name: str) -> None:
        self.submissions: list[FakeJob] = []
        self.jobs: dict[str, FakeJob] = {}
        self.cancelled: list[str] = []
        self.file_requests: list[str] = []
        self.rejected: list[tuple[str, int]] = []  # (operation, status) answered as errors
        self.expired = False
        self._script = _Script()
        self._lock = threading.Lock()
        self._clip_lock = threading.Lock()  # rendering an MP4 holds no other request up
        self._running = threading.Event()
        self._running.set()
        self._counter = itertools.count(1)
        super().__init__(handler, name=name)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- scripting ------------------------------------------------------------------------

    def fail_next(
        self,
        operation: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        kind: str | None = None,
    ) -> None:
        """The next ``times`` requests of ``operation`` (submit, status, result, cancel, file)
        answer ``status``; ``kind`` names the provider's error type where it has one."""
        with self._lock:
            self._script.faults.append(_Fault(operation, status, times, retry_after, kind))

    def slow_down(self, operation: str, seconds: float, *, times: int | None = None) -> None:
        """The next ``times`` requests of ``operation`` (None: all) wait ``seconds`` before
        answering (0: at once again)."""
        with self._lock:
            self._script.slow[operation] = (seconds, times)

    def hold(self) -> None:
        """Running jobs stay running until ``release``."""
        self._running.clear()

    def release(self) -> None:
        self._running.set()

    def expire_results(self) -> None:
        self.expired = True

    def before_stop(self) -> None:
        self._running.set()

    # --- for handlers ---------------------------------------------------------------------

    def take_fault(self, operation: str) -> _Fault | None:
        with self._lock:
            for fault in self._script.faults:
                if fault.operation == operation and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def delay(self, operation: str) -> None:
        with self._lock:
            seconds, times = self._script.slow.get(operation, (0.0, None))
            if times is not None:
                if times <= 0:
                    return
                self._script.slow[operation] = (seconds, times - 1)
        if seconds:
            self._stopping.wait(seconds)

    def new_job(
        self,
        model: str,
        inputs: dict[str, Any],
        width: int,
        height: int,
        count: int,
        canvas: np.ndarray | None = None,
        mask: np.ndarray | None = None,
        *,
        duration: int = 0,
        first_frame: np.ndarray | None = None,
        with_audio: bool = False,
    ) -> FakeJob:
        job = FakeJob(
            id=f"{next(self._counter):04d}-{uuid.uuid4().hex[:12]}",
            model=model,
            inputs=inputs,
            width=width,
            height=height,
            count=count,
            canvas=canvas,
            mask=mask,
            refused=REFUSED_WORD in str(inputs.get("prompt", "")).lower(),
            duration=duration,
            first_frame=first_frame,
            with_audio=with_audio,
        )
        with self._lock:
            self.submissions.append(job)
            self.jobs[job.id] = job
        return job

    def advance(self, job: FakeJob) -> State:
        """The state a poll reports, then one step on: queued, running, then done (unless
        held)."""
        with self._lock:
            job.polls += 1
            reported = job.state
            if job.state == "queued":
                job.state = "running"
            elif job.state == "running" and self._running.is_set():
                job.state = "done"
            return reported

    def finish_now(self, job: FakeJob) -> None:
        with self._lock:
            if job.state in ("queued", "running"):
                job.state = "done"

    def cancel(self, job: FakeJob) -> bool:
        """Whether the job was still running (and is now cancelled)."""
        with self._lock:
            self.cancelled.append(job.id)
            if job.state in ("queued", "running"):
                job.state = "cancelled"
                return True
            return False

    def file_url(self, job: FakeJob, index: int) -> str:
        return f"{self.address}/files/{job.id}/{index}.{'mp4' if job.is_video else 'png'}"

    def clip(self, job: FakeJob) -> bytes:
        """The video job's MP4, rendered once."""
        with self._clip_lock:
            if job.clip is None:
                job.clip = seedance_clip(
                    job.width,
                    job.height,
                    job.duration,
                    first_frame=job.first_frame,
                    seed=int(job.inputs.get("seed") or 0),
                    audio=job.with_audio,
                )
            return job.clip


class JSONHandler(BaseHTTPRequestHandler):
    """Reading JSON bodies and writing JSON answers."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else None

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_png(self, data: bytes) -> None:
        self.send_bytes(data, "image/png")

    def send_bytes(self, data: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def serve_file(self, fake: FluxFake) -> bool:
        """Answer ``GET /files/{job}/{index}.png`` (or ``.mp4``); False for another path."""
        parts = self.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "files" or not parts[2].endswith((".png", ".mp4")):
            return False
        fake.file_requests.append(self.path)
        fake.delay("file")
        fault = fake.take_fault("file")
        job = fake.jobs.get(parts[1])
        index, _, extension = parts[2].partition(".")
        if fault is not None or fake.expired or job is None or job.state != "done":
            status = fault.status if fault is not None else 404
            fake.rejected.append(("file", status))
            data = b"<Error><Code>NoSuchKey</Code></Error>"  # what a CDN says of an old URL
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return True
        if not index.isdigit() or int(index) >= job.count or extension != self._extension(job):
            self.send_json(404, {"detail": "Not found"})
            return True
        if job.is_video:
            self.send_bytes(fake.clip(job), "video/mp4")
        else:
            self.send_png(render(job, int(index)))
        return True

    @staticmethod
    def _extension(job: FakeJob) -> str:
        return "mp4" if job.is_video else "png"
