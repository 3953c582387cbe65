"""Contact sheets of the embedded studio engine: the same three products (a bottle, a box and a
shoe from the shared rendered product photos, cut out with their known masks) across every
preset, one sheet per aspect ratio, plus a sheet of the four variants. Writes WebP files and
leaves docs/gallery/README.md as it is.

    .venv/bin/python -m scripts.gallery            (or: make gallery)
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image
from tests.support.product_photos import make_photo

from krev.engines.base import ProductCutout, SceneRequest
from krev.engines.studio.scene import StudioSceneComposer

# Photo indexes in tests/support/product_photos.py: a labelled bottle, box and shoe.
PRODUCT_PHOTOS = {"bottle": 3, "box": 6, "shoe": 16}
ASPECT_RATIOS = {
    "1:1": (1024, 1024),
    "16:9": (1024, 576),
    "9:16": (576, 1024),
    "4:3": (1024, 768),
    "3:4": (768, 1024),
}
PROMPT = "Product photo"
TILE_LONG_SIDE = 256
SHEET_QUALITY = 80

Image8 = npt.NDArray[np.uint8]


def product_cutout(index: int, size: int = 640) -> ProductCutout:
    """A product photo cut out with its known mask (edges softened like a segmenter's)."""
    photo = make_photo(index, size)
    alpha = cv2.GaussianBlur(photo.mask.astype(np.float32), (0, 0), 0.7)
    rgba = np.dstack([photo.image, np.round(alpha * 255).astype(np.uint8)])
    return ProductCutout(rgba=rgba, name=photo.product, product_type=photo.product)


def _label(tile: Image8, text: str) -> Image8:
    out = tile.copy()
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.42, 1)
    cv2.rectangle(out, (0, 0), (tw + 8, th + 8), (0, 0, 0), -1)
    cv2.putText(
        out, text, (4, th + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (255, 255, 255), 1, cv2.LINE_AA
    )
    return out


def _tile(rgb: Image8, width: int, height: int) -> Image8:
    scale = TILE_LONG_SIDE / max(width, height)
    size = (round(width * scale), round(height * scale))
    return np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), np.uint8)


def _grid(rows: list[list[Image8]], gap: int = 4) -> Image8:
    th, tw = rows[0][0].shape[:2]
    cols = max(len(r) for r in rows)
    sheet = np.full((len(rows) * (th + gap) + gap, cols * (tw + gap) + gap, 3), 24, np.uint8)
    for r, row in enumerate(rows):
        for c, tile in enumerate(row):
            y, x = gap + r * (th + gap), gap + c * (tw + gap)
            sheet[y : y + th, x : x + tw] = tile
    return sheet


def _save(sheet: Image8, path: Path) -> int:
    buffer = io.BytesIO()
    Image.fromarray(sheet).save(buffer, format="WEBP", quality=SHEET_QUALITY, method=5)
    path.write_bytes(buffer.getvalue())
    return len(buffer.getvalue())


def render_sheets(out_dir: Path) -> None:
    composer = StudioSceneComposer()
    products = {name: product_cutout(index) for name, index in PRODUCT_PHOTOS.items()}
    everything = list(products.values())
    columns: list[tuple[str, list[ProductCutout]]] = [
        *((name, [cutout]) for name, cutout in products.items()),
        ("all three", everything),
        ("text only", []),
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for ratio, (width, height) in ASPECT_RATIOS.items():
        rows = []
        for preset in composer.presets():
            row = []
            for label, chosen in columns:
                image = composer.render(
                    SceneRequest(PROMPT, width, height, preset=preset.id, products=chosen, seed=7)
                )
                row.append(_label(_tile(image.rgb, width, height), f"{preset.id} / {label}"))
            rows.append(row)
        name = f"presets-{ratio.replace(':', 'x')}.webp"
        size = _save(_grid(rows), out_dir / name)
        print(f"{name}: {len(rows)} presets x {len(columns)} columns, {size // 1024} KB")
    prompts = [
        "Premium leather wallet on dark marble surface, studio lighting",
        "Bottle on a wooden table, soft window light, sage green wall, eucalyptus leaves",
        "Sneaker on pastel pink terrazzo, top-down, playful, spheres",
        "Skincare on rippled water, golden hour, natural",
        "Box on concrete with pebbles, dramatic light, moody",
    ]
    rows = []
    for prompt, product in zip(prompts, ["box", "bottle", "shoe", "bottle", "box"], strict=True):
        row = []
        for variant in range(4):
            image = composer.render(
                SceneRequest(
                    prompt, 1024, 1024, products=[products[product]], seed=11, variant=variant
                )
            )
            row.append(_label(_tile(image.rgb, 1024, 1024), f"variant {variant}"))
        rows.append(row)
    size = _save(_grid(rows), out_dir / "prompts-variants.webp")
    print(f"prompts-variants.webp: {len(prompts)} prompts x 4 variants, {size // 1024} KB")
    print(f"rendered in {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/gallery"))
    render_sheets(parser.parse_args().out)


if __name__ == "__main__":
    main()
