"""Video generation: POST /api/v1/videos, routed between UGC, image-to-video, reference-to-video
and text-to-video workflows (docs/videos.md)."""
