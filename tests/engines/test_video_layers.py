"""The studio scene as layers (``StudioSceneComposer.layers``) and the camera that moves them:
the still stays what it was, the split set is the same set, the depths make sense, and every
transform keeps products undistorted."""

from __future__ import annotations

import numpy as np
import pytest

from krev.engines.base import SceneRequest
from krev.engines.studio.scene import StudioSceneComposer
from krev.engines.studio.video.camera import (
    Ground,
    Pose,
    card_matrix,
    covers,
    floor_matrix,
    horizon_row,
)
from krev.engines.studio.video.compositor import Compositor
from krev.engines.studio.video.layers import from_scene
from krev.engines.studio.video.timeline import home_pose, move_poses
from tests.support.videos import cutout

COMPOSER = StudioSceneComposer()
PLANTS = "bottle on a wooden table with plants, soft window light"


def request(
    prompt: str = PLANTS, count: int = 1, width: int = 320, height: int = 180
) -> SceneRequest:
    products = [cutout(i) for i in (3, 6, 16)[:count]]
    return SceneRequest(prompt=prompt, width=width, height=height, products=products, seed=4)


@pytest.mark.parametrize(
    ("prompt", "count"),
    [(PLANTS, 1), ("two products on podiums, pastel", 2), ("flat lay on linen with stones", 3)],
)
def test_splitting_the_set_leaves_the_still_unchanged(prompt: str, count: int) -> None:
    still = COMPOSER.render(request(prompt, count))
    layers = COMPOSER.layers(request(prompt, count), split=True)
    again = COMPOSER.flatten(layers)
    assert np.array_equal(again.rgb, still.rgb)
    assert again.placements == still.placements


def test_the_bare_set_differs_only_where_props_and_podiums_stand() -> None:
    layers = COMPOSER.layers(request("bottle on a podium with plants and spheres"), split=True)
    assert layers.bare is not None
    assert layers.dressing is not None
    outside = ~layers.dressing
    # What the dressing changed by less than a quarter of an 8-bit step does not count.
    assert np.abs(layers.bare[outside] - layers.plate[outside]).max() < 1 / 1024
    inside = layers.dressing
    assert inside.mean() > 0.01
    assert np.abs(layers.bare[inside] - layers.plate[inside]).max(axis=1).mean() > 0.02


def test_a_margin_keeps_the_composition_and_extends_the_set() -> None:
    still = COMPOSER.render(request())
    layers = COMPOSER.layers(request(), margin=(40, 20))
    assert layers.plate.shape[:2] == (180 + 40, 320 + 80)
    assert layers.frame == (40, 20, 320, 180)
    moved = sorted((p.index, p.x - 40, p.y - 20, p.width, p.height) for p in layers.placements)
    assert moved == sorted((p.index, *p.box) for p in still.placements)


def test_video_layers_stand_at_sensible_depths() -> None:
    layers = from_scene(COMPOSER.layers(request(PLANTS, 2), margin=(30, 20), split=True))
    assert layers.ground.wall < 1.0
    assert layers.ground.line is not None
    assert layers.ground.slope > 0
    products = layers.products
    assert sorted(c.product for c in products if c.product is not None) == [0, 1]
    hero = next(c for c in products if c.product == 0)
    assert hero.depth == 1.0
    props = [c for c in layers.cards if c.product is None]
    assert props, "the plants stand as their own cards"
    assert all(layers.ground.wall <= c.depth < 2.0 for c in props)
    assert "props" in layers.names
    assert layers.plate.shape[2] == 4


def test_cards_move_as_similarities_and_the_floor_meets_wall_and_products() -> None:
    ground = Ground(0.5, line=100.0, slope=0.5 / 80)
    pivot = (200.0, 150.0)
    size = (320, 180)
    rng = np.random.default_rng(0)
    for _ in range(20):
        pose = Pose(
            zoom=float(rng.uniform(0.7, 1.3)),
            view=(float(rng.uniform(150, 250)), float(rng.uniform(100, 200))),
            truck=(float(rng.uniform(-20, 20)), float(rng.uniform(-10, 10))),
            dolly=float(rng.uniform(0, 0.12)),
        )
        for depth in (0.5, 1.0, 1.3):
            m = card_matrix(pose, depth, pivot, size)
            # Scale and translation only: a product keeps its shape.
            assert m[0, 1] == m[1, 0] == 0
            assert m[0, 0] == pytest.approx(m[1, 1])
        floor = floor_matrix(pose, ground, pivot, size)
        wall = card_matrix(pose, ground.wall, pivot, size)
        product = card_matrix(pose, 1.0, pivot, size)

        def at(matrix: np.ndarray, x: float, y: float) -> np.ndarray:
            p = matrix @ np.array([x, y, 1.0])
            return p[:2] / p[2]

        for x in (0.0, 170.0, 400.0):
            # At the wall line the floor moves with the wall; where the products stand
            # (inverse depth 1), with them.
            assert np.allclose(at(floor, x, 100.0), at(wall, x, 100.0), atol=1e-6)
            assert np.allclose(at(floor, x, 180.0), at(product, x, 180.0), atol=1e-6)
        line = horizon_row(pose, ground, pivot, size)
        assert line == pytest.approx(at(wall, 0.0, 100.0)[1])


def test_coverage_notices_the_edge_of_the_set() -> None:
    ground = Ground(0.5)
    canvas = (400, 220)
    size = (320, 180)
    centre = Pose(zoom=1.0, view=(200.0, 110.0))
    assert covers(centre, ground, (200.0, 110.0), size, canvas)
    assert not covers(Pose(zoom=1.0, view=(150.0, 110.0)), ground, (200.0, 110.0), size, canvas)
    assert not covers(Pose(zoom=0.7, view=(200.0, 110.0)), ground, (200.0, 110.0), size, canvas)


def test_a_pan_moves_the_wall_less_than_the_product() -> None:
    """Parallax: far layers move less. The product card's move against the wall's, measured on
    drawn frames."""
    scene = COMPOSER.layers(request("bottle, white studio"), margin=(50, 30), split=True)
    layers = from_scene(scene)
    size = (320, 180)
    start, end, _ = move_poses("pan_left", layers, size, 1.0)
    compositor = Compositor(size)
    a, b = compositor.draw(layers, start, into="a"), compositor.draw(layers, end, into="b")
    ((_, box_a),) = compositor.subject_boxes(layers, start)
    ((_, box_b),) = compositor.subject_boxes(layers, end)
    product_shift = box_b[0] - box_a[0]
    wall = (
        card_matrix(end, layers.ground.wall, layers.pivot, size)[0, 2]
        - card_matrix(start, layers.ground.wall, layers.pivot, size)[0, 2]
    )
    assert product_shift > 4  # the camera moved left: the scene slides right
    assert 0 < wall < product_shift * 0.8
    # And the drawn pictures moved: the frames differ.
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 1.0
    home = compositor.draw(layers, home_pose(layers, size))
    assert home.shape == (180, 320, 4)
