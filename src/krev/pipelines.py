"""Imports every built-in pipeline so that it registers itself.

Each generation kind (images, videos, ads) lands with its own issue and adds its tasks
module here; ``KREV_PIPELINE_MODULES`` adds more (plugins, the test suite's pipelines).
"""

BUILTIN_PIPELINE_MODULES: tuple[str, ...] = ("krev.catalog.tasks", "krev.images.tasks")
