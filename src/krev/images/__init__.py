"""Image generation: ``POST /api/v1/images``, its ``image`` pipeline, and the presets users pick
from (``GET /api/v1/presets``)."""
