"""A local stand-in for fal's queue API (queue.fal.run), on 127.0.0.1.

It speaks the published protocol: ``POST /{model}`` (``Authorization: Key <key>``) queues a
request and answers ``request_id`` with its status, response and cancel URLs, which live under
the app's owner and alias only (``/fal-ai/flux/requests/{id}``, not ``/fal-ai/flux/dev/...``);
``GET .../requests/{id}/status`` answers IN_QUEUE, then IN_PROGRESS, then COMPLETED on
successive polls; ``GET .../requests/{id}`` the result (``images[].url``, ``has_nsfw_concepts``);
``PUT .../requests/{id}/cancel`` 202 CANCELLATION_REQUESTED, or 400 ALREADY_COMPLETED. Errors
come as ``{"detail": [{"loc", "msg", "type", "url"}]}``.

It checks each model's input schema (FLUX.1 [dev]: prompt, image_size, num_images, seed,
output_format; FLUX.1 Fill [dev]: image_url and mask_url too, PNGs of the same size) and
answers 422 for anything else, so tests prove what the adapter sends. See ``fake_flux`` for
the scripting shared with the Replicate fake.

Seedance 1.0 Pro (``fal-ai/bytedance/seedance/v1/pro/text-to-video`` and ``.../image-to-video``)
takes prompt, aspect_ratio, resolution, duration ("2" … "12"), camera_fixed, seed,
enable_safety_checker, num_frames and, for image-to-video, image_url (a PNG or JPEG data URI
here, 300 to 6000 pixels a side, ratio 0.4 to 2.5) and end_image_url. Stricter than fal, it
refuses fields outside the schema. Its result is ``{"video": {"url", "content_type",
"file_name", "file_size"}, "seed"}``: a real MP4 at 24 fps of the seconds asked, of the ratio
asked with a 360-pixel short side (fal's are larger; sizes are the normaliser's business),
starting on the image it was given. A refused prompt's result is fal's 422
content_policy_violation.
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

T2I_MODEL = "fal-ai/flux/dev"
FILL_MODEL = "fal-ai/flux-lora-fill"
T2V_MODEL = "fal-ai/bytedance/seedance/v1/pro/text-to-video"
I2V_MODEL = "fal-ai/bytedance/seedance/v1/pro/image-to-video"
VIDEO_ASPECT_RATIOS = {
    "21:9": (840, 360),
    "16:9": (640, 360),
    "4:3": (480, 360),
    "1:1": (360, 360),
    "3:4": (360, 480),
    "9:16": (360, 640),
}
VIDEO_DURATIONS = tuple(str(seconds) for seconds in range(2, 13))
_VIDEO_FIELDS = {
    "prompt",
    "aspect_ratio",
    "resolution",
    "duration",
    "camera_fixed",
    "seed",
    "enable_safety_checker",
    "num_frames",
}

_DEFAULT_KIND = {
    400: "downstream_service_error",
    422: "content_policy_violation",
    500: "internal_server_error",
    504: "generation_timeout",
}


class FakeFal(FluxFake):
    def __init__(
        self,
        api_key: str = "fal-test-key",
        *,
        t2i_models: tuple[str, ...] = (T2I_MODEL,),
        fill_models: tuple[str, ...] = (FILL_MODEL,),
        t2v_models: tuple[str, ...] = (T2V_MODEL,),
        i2v_models: tuple[str, ...] = (I2V_MODEL,),
    ) -> None:
        self.api_key = api_key
        self.t2i_models = t2i_models
        self.fill_models = fill_models
        self.t2v_models = t2v_models
        self.i2v_models = i2v_models
        self.with_audio = False  # a model that makes its own sound (Seedance 1.0 makes none)
        super().__init__(_Handler, name="fake-fal")
        self._server.fake = self  # type: ignore[attr-defined]

    @property
    def base_url(self) -> str:
        return self.address

    @property
    def models(self) -> tuple[str, ...]:
        return self.t2i_models + self.fill_models + self.t2v_models + self.i2v_models

    def app_path(self, model: str) -> str:
        return "/".join(model.split("/")[:2])

    def urls(self, job: FakeJob) -> dict[str, str]:
        base = f"{self.address}/{self.app_path(job.model)}/requests/{job.id}"
        return {
            "response_url": base,
            "status_url": f"{base}/status",
            "cancel_url": f"{base}/cancel",
        }


class _InputError(ValueError):
    def __init__(self, field: str, message: str, kind: str = "value_error") -> None:
        super().__init__(message)
        self.field, self.message, self.kind = field, message, kind


def _size(inputs: dict[str, Any]) -> tuple[int, int]:
    size = inputs.get("image_size")
    if not isinstance(size, dict):
        raise _InputError("image_size", "image_size must be an object {width, height}")
    width, height = size.get("width"), size.get("height")
    if not isinstance(width, int) or not isinstance(height, int) or min(width, height) < 64:
        raise _InputError("image_size", "width and height must be integers of at least 64")
    if width % 16 or height % 16:
        raise _InputError("image_size", "Input should be a multiple of 16", "multiple_of")
    return width, height


def _check_video(fake: FakeFal, model: str, inputs: dict[str, Any]) -> FakeJob:
    image_to_video = model in fake.i2v_models
    allowed = _VIDEO_FIELDS | ({"image_url", "end_image_url"} if image_to_video else set())
    for name in inputs:
        if name not in allowed:
            raise _InputError(name, "Extra inputs are not permitted", "extra_forbidden")
    if not isinstance(inputs.get("prompt"), str) or not inputs["prompt"].strip():
        raise _InputError("prompt", "Field required", "missing")
    ratios = [*VIDEO_ASPECT_RATIOS, *(["auto"] if image_to_video else [])]
    ratio = inputs.get("aspect_ratio", "auto" if image_to_video else "16:9")
    if ratio not in ratios:
        raise _InputError("aspect_ratio", f"Input should be {', '.join(ratios)}", "enum")
    if inputs.get("resolution", "1080p") not in ("480p", "720p", "1080p"):
        raise _InputError("resolution", "Input should be '480p', '720p' or '1080p'", "enum")
    duration = inputs.get("duration", "5")
    if duration not in VIDEO_DURATIONS:
        raise _InputError("duration", f"Input should be {', '.join(VIDEO_DURATIONS)}", "enum")
    if "seed" in inputs and not isinstance(inputs["seed"], int):
        raise _InputError("seed", "Input should be a valid integer", "int_type")
    first_frame = None
    if image_to_video:
        try:
            picture = decode_image_data_uri(inputs.get("image_url"))
        except ValueError as error:
            message = f"Image load error: {error}"
            raise _InputError("image_url", message, "image_load_error") from None
        width, height = picture.size
        if min(width, height) < 300 or max(width, height) > 6000:
            raise _InputError("image_url", "Image sides must be 300 to 6000 pixels")
        if not 0.4 <= width / height <= 2.5:
            raise _InputError("image_url", "Image aspect ratio must be between 0.4 and 2.5")
        first_frame = np.asarray(picture.convert("RGB"))
    if ratio == "auto":
        assert first_frame is not None
        height, width = first_frame.shape[:2]
        size = (
            (round(360 * width / height / 2) * 2, 360)
            if width > height
            else (
                360,
                round(360 * height / width / 2) * 2,
            )
        )
    else:
        size = VIDEO_ASPECT_RATIOS[ratio]
    return fake.new_job(
        model,
        inputs,
        size[0],
        size[1],
        1,
        duration=int(duration),
        first_frame=first_frame,
        with_audio=fake.with_audio,
    )


def _check(fake: FakeFal, model: str, inputs: Any) -> FakeJob:
    if not isinstance(inputs, dict):
        raise _InputError("body", "The body must be a JSON object")
    if model in fake.t2v_models + fake.i2v_models:
        return _check_video(fake, model, inputs)
    if not isinstance(inputs.get("prompt"), str) or not inputs["prompt"].strip():
        raise _InputError("prompt", "Field required", "missing")
    width, height = _size(inputs)
    count = inputs.get("num_images", 1)
    if not isinstance(count, int) or not 1 <= count <= 4:
        raise _InputError("num_images", "Input should be between 1 and 4", "less_than_equal")
    if "seed" in inputs and not isinstance(inputs["seed"], int):
        raise _InputError("seed", "Input should be a valid integer")
    if inputs.get("output_format", "jpeg") not in ("jpeg", "png"):
        raise _InputError("output_format", "Input should be 'jpeg' or 'png'", "one_of")
    if model in fake.t2i_models:
        return fake.new_job(model, inputs, width, height, count)
    canvas: list[Image.Image] = []
    mask: list[Image.Image] = []
    for field_name, into in (("image_url", canvas), ("mask_url", mask)):
        try:
            picture = decode_png_data_uri(inputs.get(field_name))
        except ValueError as error:
            raise _InputError(
                field_name, f"Image load error: {error}", "image_load_error"
            ) from None
        if picture.size != (width, height):
            raise _InputError(field_name, "Needs to match the dimensions of image_size")
        into.append(picture)
    mask_pixels = np.asarray(mask[0].convert("L"))
    return fake.new_job(
        model,
        inputs,
        width,
        height,
        count,
        canvas=np.asarray(canvas[0].convert("RGB")),
        mask=mask_pixels >= 128,
    )


class _Handler(JSONHandler):
    @property
    def fake(self) -> FakeFal:
        return self.server.fake  # type: ignore[attr-defined]

    def _error(
        self,
        operation: str,
        status: int,
        message: str,
        kind: str | None = None,
        field_name: str = "body",
        retry_after: float | None = None,
    ) -> None:
        self.fake.rejected.append((operation, status))
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        kind = kind or _DEFAULT_KIND.get(status, "internal_server_error")
        if status == 429:
            self.send_json(status, {"detail": message}, headers)
            return
        body = [
            {
                "loc": ["body", field_name],
                "msg": message,
                "type": kind,
                "url": f"https://docs.fal.ai/errors/#{kind}",
            }
        ]
        self.send_json(status, {"detail": body}, headers)

    def _authorized(self, operation: str) -> bool:
        if self.headers.get("Authorization") != f"Key {self.fake.api_key}":
            self.fake.rejected.append((operation, 401))
            self.send_json(401, {"detail": "Invalid API key"})
            return False
        return True

    def _scripted(self, operation: str) -> bool:
        """Delay and answer a scripted fault; True when one was answered."""
        self.fake.delay(operation)
        if self.fake._stopping.is_set():
            return True
        fault = self.fake.take_fault(operation)
        if fault is None:
            return False
        message = "Rate limit exceeded" if fault.status == 429 else f"Scripted HTTP {fault.status}"
        if fault.kind == "content_policy_violation":
            message = "The content could not be processed because it contained material flagged."
        self._error(operation, fault.status, message, fault.kind, retry_after=fault.retry_after)
        return True

    def _job(self) -> tuple[FakeJob | None, str]:
        """The job named by ``/{owner}/{alias}/requests/{id}[/status|/cancel]`` and the
        trailing verb; None when the path does not name one under its own app."""
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) < 4 or parts[2] != "requests":
            return None, ""
        job = self.fake.jobs.get(parts[3])
        if job is None or self.fake.app_path(job.model) != "/".join(parts[:2]):
            return None, ""
        return job, "/".join(parts[4:])

    def do_POST(self) -> None:
        try:
            inputs = self.read_json()
        except ValueError:
            inputs = None
        model = self.path.split("?")[0].strip("/")
        if not self._authorized("submit") or self._scripted("submit"):
            return
        if model not in self.fake.models:
            self._error("submit", 404, f"Application {model!r} not found", "not_found")
            return
        try:
            job = _check(self.fake, model, inputs)
        except _InputError as error:
            self._error("submit", 422, error.message, error.kind, error.field)
            return
        self.send_json(200, {"request_id": job.id, **self.fake.urls(job), "queue_position": 0})

    def do_GET(self) -> None:
        if self.serve_file(self.fake):
            return
        job, verb = self._job()
        operation = "status" if verb == "status" else "result"
        if not self._authorized(operation) or self._scripted(operation):
            return
        if job is None or verb not in ("", "status"):
            self._error(operation, 404, "Request not found", "not_found")
            return
        if verb == "status":
            reported = self.fake.advance(job)
            status = {"queued": "IN_QUEUE", "running": "IN_PROGRESS"}.get(reported, "COMPLETED")
            body: dict[str, Any] = {"status": status, **self.fake.urls(job), "logs": None}
            if status == "IN_QUEUE":
                body["queue_position"] = 0
            if status == "COMPLETED":
                body["metrics"] = {"inference_time": 1.25}
            self.send_json(200 if status == "COMPLETED" else 202, body)
            return
        if job.state == "cancelled":
            self._error("result", 400, "Request was cancelled", "request_cancelled")
            return
        if job.state != "done":
            self._error("result", 400, "Request is still in progress", "request_in_progress")
            return
        if job.is_video:
            self._video_result(job)
            return
        images = [
            {
                "url": self.fake.file_url(job, index),
                "width": job.width,
                "height": job.height,
                "content_type": "image/png",
            }
            for index in range(job.count)
        ]
        self.send_json(
            200,
            {
                "images": images,
                "timings": {"inference": 1.25},
                "seed": job.inputs.get("seed", 0),
                "has_nsfw_concepts": [job.refused] * job.count,
                "prompt": job.inputs["prompt"],
            },
        )

    def do_PUT(self) -> None:
        self.read_json()
        job, verb = self._job()
        if not self._authorized("cancel") or self._scripted("cancel"):
            return
        if job is None or verb != "cancel":
            self._error("cancel", 404, "Request not found", "not_found")
            return
        if self.fake.cancel(job):
            self.send_json(202, {"status": "CANCELLATION_REQUESTED"})
        else:
            self.send_json(400, {"status": "ALREADY_COMPLETED"})

    def _video_result(self, job: FakeJob) -> None:
        if job.refused:
            self._error(
                "result",
                422,
                "The content could not be processed because it contained material flagged by "
                "a content checker.",
                "content_policy_violation",
                "prompt",
            )
            return
        clip = self.fake.clip(job)
        video = {
            "url": self.fake.file_url(job, 0),
            "content_type": "video/mp4",
            "file_name": "output.mp4",
            "file_size": len(clip),
        }
        self.send_json(200, {"video": video, "seed": job.inputs.get("seed", 0)})
