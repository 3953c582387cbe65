"""Times the ad layout on this machine: for every style at 4:5 (1080x1350), the studio scene
rendered at the style's scene box with a real product cutout, then ``compose_ad``; prints the
median of each and of the whole ad. Optionally writes a contact sheet of what it timed.

    .venv/bin/python -m scripts.ad_layout_timing [--repeats 7] [--sheet /tmp/ads.png]
"""

from __future__ import annotations

import argparse
import statistics
import time

from PIL import Image

from krev.engines.base import SceneRequest
from krev.engines.studio.ads import (
    AD_SIZES,
    STYLES,
    AdRenderRequest,
    ad_palette,
    compose_ad,
    scene_box,
)
from krev.engines.studio.ads.specimen import SPECIMEN_COPY
from krev.engines.studio.scene import StudioSceneComposer
from scripts.gallery import PRODUCT_PHOTOS, product_cutout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--size", default="4:5", choices=sorted(AD_SIZES))
    parser.add_argument("--sheet", default=None, help="write the ads timed to this PNG")
    args = parser.parse_args()
    width, height = AD_SIZES[args.size]
    composer = StudioSceneComposer()
    product = product_cutout(PRODUCT_PHOTOS["bottle"])
    scene_times: list[float] = []
    compose_times: list[float] = []
    total_times: list[float] = []
    tiles = []
    for repeat in range(args.repeats + 1):
        for style in STYLES:
            start = time.perf_counter()
            _, _, sw, sh = scene_box(style, width, height, 1)
            rendered = composer.render(
                SceneRequest(prompt="product photo", width=sw, height=sh, products=[product])
            )
            middle = time.perf_counter()
            request = AdRenderRequest(
                width,
                height,
                style,
                SPECIMEN_COPY[style.copy_shape],
                rendered.rgb,
                [p.box for p in rendered.placements],
                ad_palette(style, product.color_hex or ["#3b7dd8"], None, None),
            )
            image = compose_ad(request)
            end = time.perf_counter()
            if repeat == 0:  # the first round loads fonts and warms caches
                tiles.append(image)
                continue
            scene_times.append(middle - start)
            compose_times.append(end - middle)
            total_times.append(end - start)
    print(f"{args.size} {width}x{height}, {len(STYLES)} styles x {args.repeats} repeats")
    print(f"  scene render   median {statistics.median(scene_times) * 1000:6.1f} ms")
    print(
        f"  compose_ad     median {statistics.median(compose_times) * 1000:6.1f} ms, "
        f"max {max(compose_times) * 1000:6.1f} ms"
    )
    print(f"  whole ad       median {statistics.median(total_times) * 1000:6.1f} ms")
    if args.sheet:
        scale = 3
        small = [Image.fromarray(t).resize((width // scale, height // scale)) for t in tiles]
        sheet = Image.new("RGB", (width // scale * len(small), height // scale), "white")
        for index, tile in enumerate(small):
            sheet.paste(tile, (index * (width // scale), 0))
        sheet.save(args.sheet)


if __name__ == "__main__":
    main()
