"""A local stand-in for Replicate's predictions API (api.replicate.com/v1), on 127.0.0.1.

It speaks the published protocol: ``POST /v1/models/{owner}/{name}/predictions`` with
``{"input": {...}}`` (``Authorization: Bearer <token>``; ``Prefer: wait[=N]`` may bring the
prediction back finished, when ``finish_while_waiting``) answers 201 and a prediction object;
``GET /v1/predictions/{id}`` answers it ``starting``, then ``processing``, then ``succeeded``
(``output``: a list of URLs served by the fake) on successive polls; ``POST
/v1/predictions/{id}/cancel`` cancels it. Errors come as problem details (``{"title",
"detail", "status"}``).

It checks the FLUX models' input schemas as replicate/cog-flux declares them (flux-dev:
aspect_ratio from a fixed list, one megapixel; flux-fill-dev: image and mask, ``megapixels:
match_input`` renders the input's size floored to multiples of 32) and fails a prediction
whose prompt the safety checker refuses with cog-flux's own message.

Seedance 1.0 Pro (``bytedance/seedance-1-pro``) takes prompt, image (a PNG or JPEG data URI
here), last_frame_image, duration (whole seconds, 2 to 12), resolution, aspect_ratio (ignored
when there is an image: the clip takes the image's), fps (24), camera_fixed and seed; stricter
than Replicate, it refuses inputs outside that schema. Its ``output`` is one URL: a real MP4 at
24 fps with a 360-pixel short side, starting on the image; a refused prompt fails the
prediction with the E005 "flagged as sensitive" error.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from tests.support.fake_flux import (
    FakeJob,
    FluxFake,
    JSONHandler,
    decode_image_data_uri,
    decode_png_data_uri,
)

T2I_MODEL = "black-forest-labs/flux-dev"
FILL_MODEL = "black-forest-labs/flux-fill-dev"
VIDEO_MODEL = "bytedance/seedance-1-pro"
NSFW_ERROR = (
    "All generated images contained NSFW content. Try running it again with a different prompt."
)
SENSITIVE_ERROR = (
    "The input or output was flagged as sensitive. Please try again with different inputs. (E005)"
)
VIDEO_ASPECT_RATIOS = {
    "16:9": (640, 360),
    "4:3": (480, 360),
    "1:1": (360, 360),
    "3:4": (360, 480),
    "9:16": (360, 640),
    "21:9": (840, 360),
    "9:21": (360, 840),
}
_VIDEO_FIELDS = {
    "prompt",
    "image",
    "last_frame_image",
    "duration",
    "resolution",
    "aspect_ratio",
    "fps",
    "camera_fixed",
    "seed",
}

ASPECT_RATIOS = {
    "1:1": (1024, 1024),
    "16:9": (1344, 768),
    "21:9": (1536, 640),
    "3:2": (1216, 832),
    "2:3": (832, 1216),
    "4:5": (896, 1088),
    "5:4": (1088, 896),
    "3:4": (896, 1152),
    "4:3": (1152, 896),
    "9:16": (768, 1344),
    "9:21": (640, 1536),
}
_TITLES = {
    401: "Unauthenticated",
    404: "Not found",
    422: "Input validation failed",
    429: "Request was throttled",
}


class FakeReplicate(FluxFake):
    def __init__(
        self,
        api_token: str = "r8_test_token",
        *,
        t2i_models: tuple[str, ...] = (T2I_MODEL,),
        fill_models: tuple[str, ...] = (FILL_MODEL,),
        versions: dict[str, str] | None = None,
        video_models: tuple[str, ...] = (VIDEO_MODEL,),
    ) -> None:
        self.api_token = api_token
        self.t2i_models = t2i_models
        self.fill_models = fill_models
        self.video_models = video_models
        self.versions = dict(versions or {})  # version id -> the model it is a version of
        self.finish_while_waiting = False
        self.withheld = 0  # images cog-flux's safety checker drops from each prediction
        self.prefer_headers: list[str | None] = []
        super().__init__(_Handler, name="fake-replicate")
        self._server.fake = self  # type: ignore[attr-defined]

    @property
    def base_url(self) -> str:
        return f"{self.address}/v1"

    def prediction(self, job: FakeJob, state: str | None = None) -> dict[str, Any]:
        """The prediction object; ``state``: the one a poll reports (else the job's)."""
        state = state or job.state
        status = {
            "queued": "starting",
            "running": "processing",
            "done": "failed" if job.refused else "succeeded",
            "cancelled": "canceled",
            "failed": "failed",
        }[state]
        output: Any = None
        error = job.error
        if status == "succeeded" and job.is_video:
            output = self.file_url(job, 0)
        elif status == "succeeded":
            kept = max(0, job.count - self.withheld)
            output = [self.file_url(job, index) for index in range(kept)]
        elif status == "failed" and job.refused:
            error = SENSITIVE_ERROR if job.is_video else NSFW_ERROR
        return {
            "id": job.id,
            "model": job.model,
            "version": "dp-4d0bcc010b3049749a251855f12800be",
            "input": job.inputs,
            "logs": "",
            "output": output,
            "data_removed": False,
            "error": error,
            "status": status,
            "created_at": "2026-12-01T10:00:00.000Z",
            "urls": {
                "get": f"{self.base_url}/predictions/{job.id}",
                "cancel": f"{self.base_url}/predictions/{job.id}/cancel",
                "web": f"https://replicate.com/p/{job.id}",
            },
        }


class _InputError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _common(inputs: dict[str, Any]) -> int:
    if not isinstance(inputs.get("prompt"), str) or not inputs["prompt"].strip():
        raise _InputError("prompt", "prompt is required")
    count = inputs.get("num_outputs", 1)
    if not isinstance(count, int) or not 1 <= count <= 4:
        raise _InputError("num_outputs", "Must be between 1 and 4")
    if "seed" in inputs and not isinstance(inputs["seed"], int):
        raise _InputError("seed", "Invalid type. Expected: integer")
    if inputs.get("output_format", "webp") not in ("webp", "jpg", "png"):
        raise _InputError("output_format", "must be one of: webp, jpg, png")
    return count


def _check_video(fake: FakeReplicate, model: str, inputs: dict[str, Any]) -> FakeJob:
    for name in inputs:
        if name not in _VIDEO_FIELDS:
            raise _InputError(name, "Additional property is not allowed")
    if not isinstance(inputs.get("prompt"), str) or not inputs["prompt"].strip():
        raise _InputError("prompt", "prompt is required")
    duration = inputs.get("duration", 5)
    if not isinstance(duration, int) or isinstance(duration, bool) or not 2 <= duration <= 12:
        raise _InputError("duration", "Must be an integer between 2 and 12")
    if inputs.get("resolution", "1080p") not in ("480p", "720p", "1080p"):
        raise _InputError("resolution", "must be one of: 480p, 720p, 1080p")
    ratio = inputs.get("aspect_ratio", "16:9")
    if ratio not in VIDEO_ASPECT_RATIOS:
        raise _InputError("aspect_ratio", f"must be one of: {', '.join(VIDEO_ASPECT_RATIOS)}")
    if inputs.get("fps", 24) != 24:
        raise _InputError("fps", "must be one of: 24")
    if "seed" in inputs and not isinstance(inputs["seed"], int):
        raise _InputError("seed", "Invalid type. Expected: integer")
    first_frame = None
    width, height = VIDEO_ASPECT_RATIOS[ratio]
    if "image" in inputs:
        try:
            picture = decode_image_data_uri(inputs["image"])
        except ValueError as error:
            raise _InputError("image", f"cannot read the file: {error}") from None
        first_frame = np.asarray(picture.convert("RGB"))
        across, down = picture.size
        # The image's ratio wins over aspect_ratio.
        width, height = (
            (round(360 * across / down / 2) * 2, 360)
            if across > down
            else (360, round(360 * down / across / 2) * 2)
        )
    return fake.new_job(model, inputs, width, height, 1, duration=duration, first_frame=first_frame)


def _check(fake: FakeReplicate, model: str, inputs: Any) -> FakeJob:
    if not isinstance(inputs, dict):
        raise _InputError("input", "input is required")
    if model in fake.video_models:
        return _check_video(fake, model, inputs)
    count = _common(inputs)
    megapixels = inputs.get("megapixels", "1")
    if model in fake.t2i_models:
        ratio = inputs.get("aspect_ratio", "1:1")
        if ratio not in ASPECT_RATIOS:
            raise _InputError("aspect_ratio", f"must be one of: {', '.join(ASPECT_RATIOS)}")
        if megapixels not in ("1", "0.25"):
            raise _InputError("megapixels", "must be one of: 1, 0.25")
        width, height = ASPECT_RATIOS[ratio]
        if megapixels == "0.25":
            width, height = width // 2 // 16 * 16, height // 2 // 16 * 16
        return fake.new_job(model, inputs, width, height, count)
    if megapixels != "match_input":
        raise _InputError("megapixels", "this fake renders fills at match_input only")
    pictures = []
    for field_name in ("image", "mask"):
        try:
            pictures.append(decode_png_data_uri(inputs.get(field_name)))
        except ValueError as error:
            raise _InputError(field_name, f"cannot read the file: {error}") from None
    image, mask = pictures
    if image.size != mask.size:
        raise _InputError("mask", "mask must have the size of image")
    width, height = image.size
    scale = min(1440 / width, 1440 / height, 1.0)
    width, height = int(width * scale) // 32 * 32, int(height * scale) // 32 * 32
    canvas = np.asarray(image.convert("RGB").resize((width, height), Image.Resampling.BILINEAR))
    painted = np.asarray(mask.convert("L").resize((width, height), Image.Resampling.NEAREST))
    return fake.new_job(model, inputs, width, height, count, canvas=canvas, mask=painted >= 128)


class _Handler(JSONHandler):
    @property
    def fake(self) -> FakeReplicate:
        return self.server.fake  # type: ignore[attr-defined]

    def _problem(
        self,
        operation: str,
        status: int,
        detail: str,
        retry_after: float | None = None,
        **extra: Any,
    ) -> None:
        self.fake.rejected.append((operation, status))
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        title = _TITLES.get(status, "Internal server error" if status >= 500 else "Bad request")
        self.send_json(
            status, {"title": title, "detail": detail, "status": status, **extra}, headers
        )

    def _authorized(self, operation: str) -> bool:
        if self.headers.get("Authorization") != f"Bearer {self.fake.api_token}":
            self._problem(operation, 401, "You did not pass a valid authentication token")
            return False
        return True

    def _scripted(self, operation: str) -> bool:
        self.fake.delay(operation)
        if self.fake._stopping.is_set():
            return True
        fault = self.fake.take_fault(operation)
        if fault is None:
            return False
        detail = {
            429: "Request was throttled. Expected available in 1 second.",
            422: "- input.prompt: scripted validation failure",
        }.get(fault.status, f"Scripted HTTP {fault.status}")
        self._problem(operation, fault.status, detail, fault.retry_after)
        return True

    def do_POST(self) -> None:
        try:
            body = self.read_json()
        except ValueError:
            body = None
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts[-1] == "cancel":
            self._cancel(parts)
            return
        if not self._authorized("submit") or self._scripted("submit"):
            return
        model = None
        if len(parts) == 5 and parts[:2] == ["v1", "models"] and parts[4] == "predictions":
            model = f"{parts[2]}/{parts[3]}"
        elif parts == ["v1", "predictions"] and isinstance(body, dict):
            model = self.fake.versions.get(str(body.get("version")))
        known = self.fake.t2i_models + self.fake.fill_models + self.fake.video_models
        if model is None or model not in known:
            self._problem("submit", 404, "The requested resource could not be found.")
            return
        try:
            job = _check(self.fake, model, body.get("input") if isinstance(body, dict) else None)
        except _InputError as error:
            self._problem(
                "submit",
                422,
                f"- input.{error.field}: {error.message}",
                invalid_fields=[
                    {
                        "type": "invalid",
                        "field": f"input.{error.field}",
                        "description": error.message,
                    }
                ],
            )
            return
        prefer = self.headers.get("Prefer")
        self.fake.prefer_headers.append(prefer)
        if prefer and prefer.startswith("wait") and self.fake.finish_while_waiting:
            self.fake.finish_now(job)
        self.send_json(201, self.fake.prediction(job))

    def _cancel(self, parts: list[str]) -> None:
        if not self._authorized("cancel") or self._scripted("cancel"):
            return
        job = self.fake.jobs.get(parts[2]) if len(parts) == 4 else None
        if job is None:
            self._problem("cancel", 404, "The requested resource could not be found.")
            return
        self.fake.cancel(job)
        self.send_json(200, self.fake.prediction(job))

    def do_GET(self) -> None:
        if self.serve_file(self.fake):
            return
        parts = self.path.split("?")[0].strip("/").split("/")
        if not self._authorized("status") or self._scripted("status"):
            return
        job = (
            self.fake.jobs.get(parts[2]) if len(parts) == 3 and parts[1] == "predictions" else None
        )
        if job is None:
            self._problem("status", 404, "The requested resource could not be found.")
            return
        reported = self.fake.advance(job)
        self.send_json(200, self.fake.prediction(job, reported))
