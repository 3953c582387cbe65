"""Product cutouts for the scene engine tests: shared rendered product photos cut out with
their known masks (a labelled bottle, box and shoe, plus a jar for four-product scenes)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from krev.engines.base import ProductCutout
from krev.engines.studio.scene import StudioSceneComposer
from tests.support.product_photos import make_photo

PHOTOS = {"bottle": 3, "box": 6, "shoe": 16, "jar": 9}


def cutout(index: int, size: int = 320) -> ProductCutout:
    photo = make_photo(index, size)
    alpha = cv2.GaussianBlur(photo.mask.astype(np.float32), (0, 0), 0.7)
    rgba = np.dstack([photo.image, np.round(alpha * 255).astype(np.uint8)])
    return ProductCutout(rgba=rgba, name=photo.product, product_type=photo.product)


@pytest.fixture(scope="session")
def composer() -> StudioSceneComposer:
    return StudioSceneComposer()


@pytest.fixture(scope="session")
def products() -> dict[str, ProductCutout]:
    return {name: cutout(index) for name, index in PHOTOS.items()}
