"""Contact sheets of the embedded studio engine: the same three products (a bottle, a box and a
shoe from the shared rendered product photos, cut out with their known masks) across every
preset, one sheet per aspect ratio, plus a sheet of the four variants; and the ads sheet: every
ad style at every aspect ratio for two of them, as the ``ad`` pipeline makes them, with the
copy of each listed in ads.md; and the videos sheet: frames of a video per workflow, two of
them kept as MP4s. Writes WebP and MP4 files, ads.md and videos.md, and leaves
docs/gallery/README.md as it is.

    .venv/bin/python -m scripts.gallery            (or: make gallery)
"""

from __future__ import annotations

import argparse
import base64
import io
import time
import uuid
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image
from tests.support.product_photos import make_photo

from krev.ads import service as ads_service
from krev.ads.jobs import AdJob
from krev.ads.tasks import render_ads
from krev.engines.base import ProductCutout, SceneRequest
from krev.engines.studio.ads.styles import STYLES
from krev.engines.studio.scene import StudioSceneComposer
from krev.images.jobs import ProductInput
from krev.platform.config import Settings
from krev.platform.imaging import encode_webp
from krev.providers import registry

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


# --- ads ------------------------------------------------------------------------------------

# Photo index, name, brief and brand notes: one product with benefits, one with an offer and a
# customer's words, so each style's copy has something of its own to say.
AD_PRODUCTS = {
    "bottle": (
        3,
        "Kora water bottle",
        "Launch ad for the Kora water bottle: keeps drinks cold all day, leak-proof lid, "
        "for hikers and commuters.",
        "Kora makes simple gear for long days outdoors.",
    ),
    "box": (
        6,
        "Halo gift box",
        "Holiday ad for the Halo gift box: 15% off this week with code HALO15. Customers say "
        '"the prettiest box I have ever received".',
        "Halo: thoughtful packaging, made in Leeds.",
    ),
}
AD_TILE_HEIGHT = 384
AD_SEED = 7


def _ad_product(name: str, cutout: ProductCutout, label: str) -> ProductInput:
    """The product as the catalog would hand it to an ad job: its name, kind and measured
    color (the median of its opaque pixels stands in for the analysis's color_hex)."""
    opaque = cutout.rgba[..., 3] > 250
    r, g, b = (int(v) for v in np.median(cutout.rgba[opaque][:, :3], axis=0))
    return ProductInput(
        id=uuid.uuid5(uuid.NAMESPACE_URL, f"krev-gallery/{name}"),
        cutout_key=f"gallery/{name}.webp",
        name=label,
        product_type=name,
        color_hex=[f"#{r:02x}{g:02x}{b:02x}"],
    )


def _ad_grid(rows: list[list[Image8]], gap: int = 6) -> Image8:
    """Rows of tiles of one height and varying widths, each column as wide as its widest."""
    widths = [max(row[c].shape[1] for row in rows) for c in range(len(rows[0]))]
    height = rows[0][0].shape[0]
    sheet = np.full(
        (len(rows) * (height + gap) + gap, sum(widths) + gap * (len(widths) + 1), 3), 24, np.uint8
    )
    for r, row in enumerate(rows):
        x = gap
        for c, tile in enumerate(row):
            y = gap + r * (height + gap)
            sheet[y : y + height, x : x + tile.shape[1]] = tile
            x += widths[c] + gap
    return sheet


def render_ad_sheet(out_dir: Path) -> None:
    """ads.webp (a row per style; columns: each product at 1:1, 4:5 and 9:16) and ads.md,
    the copy of every tile."""
    settings = Settings()
    generator = registry.provider(settings, "image", "studio")
    started = time.perf_counter()
    rows: list[list[Image8]] = []
    notes = [
        "# Ad styles gallery",
        "",
        "`ads.webp`: a row per ad style; columns are the bottle at 1:1, 4:5 and 9:16, then the "
        "box at 1:1, 4:5 and 9:16 (1080x1080, 1080x1350, 1080x1920, shown "
        f"{AD_TILE_HEIGHT} px high). Each ad is made by `krev.ads.tasks.render_ads`, what the "
        "`ad` pipeline does with the studio engine and the embedded copywriter (seed "
        f"{AD_SEED}), from each product's brief and brand notes with the style asked for. "
        "Regenerated by `make gallery`.",
        "",
        *(
            f'- **{name}**: brief "{brief}"; brand notes "{context}"'
            for name, (_index, _label, brief, context) in AD_PRODUCTS.items()
        ),
        "",
        "The copy of each tile:",
        "",
        "| style | product | ratio | hook | headline | body copy | CTA |",
        "|---|---|---|---|---|---|---|",
    ]
    for style in STYLES:
        row = []
        for name, (index, label, brief, context) in AD_PRODUCTS.items():
            cutout = product_cutout(index)
            product = _ad_product(name, cutout, label)
            for ratio in ("1:1", "4:5", "9:16"):
                width, height = ads_service.output_size(ratio)
                job = AdJob(
                    brief=brief,
                    aspect_ratio=ratio,
                    width=width,
                    height=height,
                    style_id=style.id,
                    style_chosen_by="request",
                    preset_id=ads_service.STYLE_PRESETS[style.id],
                    scene_prompt=ads_service.scene_prompt(brief, [product]),
                    products=[product],
                    brand_context=context,
                )
                plan, [ad] = render_ads(settings, generator, job, [cutout], AD_SEED)
                with Image.open(io.BytesIO(ad.webp)) as opened:
                    rgb = np.asarray(opened.convert("RGB"), dtype=np.uint8)
                tile_width = round(width * AD_TILE_HEIGHT / height)
                tile = cv2.resize(rgb, (tile_width, AD_TILE_HEIGHT), interpolation=cv2.INTER_AREA)
                row.append(_label(np.asarray(tile, np.uint8), f"{style.id} {ratio}"))
                copy = plan.copy.copies[0]
                cells = [copy.hook, copy.headline, copy.body_copy, copy.cta]
                cells = [cell.replace("|", "\\|") for cell in cells]
                notes.append(f"| {style.name} | {name} | {ratio} | {' | '.join(cells)} |")
        rows.append(row)
    out_dir.mkdir(parents=True, exist_ok=True)
    size = _save(_ad_grid(rows), out_dir / "ads.webp")
    (out_dir / "ads.md").write_text("\n".join(notes) + "\n")
    print(
        f"ads.webp: {len(rows)} styles x {len(rows[0])} ads, {size // 1024} KB "
        f"({time.perf_counter() - started:.1f} s); ads.md: the copy of each"
    )


# One video per workflow, as the ``video`` pipeline makes it (krev.videos.tasks), at half the
# delivered size so the clips kept in the repository stay small: (workflow, ratio, prompt,
# product, keep the MP4 as).
VIDEO_SEED = 5
VIDEO_SECONDS = 5
VIDEO_SIZES = {"16:9": (960, 540), "9:16": (540, 960), "1:1": (720, 720)}
VIDEOS: list[tuple[str, str, str, str | None, str | None]] = [
    (
        "reference_to_video",
        "16:9",
        "The Kora water bottle on marble, slow push in, soft morning light",
        "bottle",
        "video-product.mp4",
    ),
    (
        "ugc",
        "9:16",
        "UGC unboxing of the Halo gift box, honest review",
        "box",
        "video-ugc.mp4",
    ),
    ("image_to_video", "1:1", "Slow push in on this photo", None, None),
    ("text_to_video", "16:9", "Slow pan across a concrete surface, dramatic light", None, None),
]
VIDEO_TILE_HEIGHT = 180
VIDEO_FRAMES_SHOWN = 6


def render_video_sheet(out_dir: Path) -> None:
    """A row of frames per workflow (video-frames.webp) and two of the clips as MP4s."""
    import tempfile

    from krev.engines.video import FPS
    from krev.videos import tasks as video_tasks
    from krev.videos.jobs import VideoJob

    settings = Settings()
    engine = registry.provider(settings, "video", "studio")
    started = time.perf_counter()
    rows: list[list[Image8]] = []
    notes = [
        "# Videos gallery",
        "",
        "`video-frames.webp`: a row per workflow, six frames evenly through each "
        f"{VIDEO_SECONDS} s video, made by `krev.videos.tasks.render_video` (what the `video` "
        "pipeline does with the studio engine, the embedded copywriter and the music bed; "
        f"seed {VIDEO_SEED}) at half the delivered size. The first two are kept as MP4s. "
        "Regenerated by `make gallery`.",
        "",
        "| workflow | ratio | prompt | file |",
        "|---|---|---|---|",
    ]
    photo = make_photo(PRODUCT_PHOTOS["shoe"], 720).image
    for workflow, ratio, prompt, product_name, keep in VIDEOS:
        width, height = VIDEO_SIZES[ratio]
        cutouts, products = [], []
        if product_name is not None:
            index, label, _brief, _context = AD_PRODUCTS[product_name]
            cutout = product_cutout(index)
            cutouts, products = [cutout], [_ad_product(product_name, cutout, label)]
        source = None
        if workflow == "image_to_video":
            source = base64.b64encode(encode_webp(Image.fromarray(photo), quality=92)).decode()
        job = VideoJob(
            prompt=prompt,
            workflow=workflow,
            aspect_ratio=ratio,
            width=width,
            height=height,
            duration=VIDEO_SECONDS,
            products=products,
            source_image=source,
        )
        words = video_tasks.write_words(settings, job, VIDEO_SEED)
        sound = video_tasks.soundtrack_of(settings, job, words, VIDEO_SEED, VIDEO_SECONDS - 1.5)
        request = video_tasks.video_request(job, cutouts, words, sound.captions, VIDEO_SEED)
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "video.mp4"
            video_tasks.render_video(engine, request, sound.samples, path, cutouts=cutouts)
            frames = _sampled_frames(path, FPS * VIDEO_SECONDS)
            if keep is not None:
                (out_dir / keep).write_bytes(path.read_bytes())
        tiles = []
        for number, frame in enumerate(frames):
            tile_width = round(width * VIDEO_TILE_HEIGHT / height)
            tile = cv2.resize(frame, (tile_width, VIDEO_TILE_HEIGHT), interpolation=cv2.INTER_AREA)
            label = f"{workflow} {ratio}" if number == 0 else f"{number + 1}/{len(frames)}"
            tiles.append(_label(np.asarray(tile, np.uint8), label))
        rows.append(tiles)
        notes.append(f'| {workflow} | {ratio} | "{prompt}" | {keep or ""} |')
    out_dir.mkdir(parents=True, exist_ok=True)
    size = _save(_ad_grid(rows), out_dir / "video-frames.webp")
    (out_dir / "videos.md").write_text("\n".join(notes) + "\n")
    print(
        f"video-frames.webp: {len(rows)} workflows, {size // 1024} KB "
        f"({time.perf_counter() - started:.1f} s); videos.md"
    )


def _sampled_frames(path: Path, count: int) -> list[Image8]:
    import av

    wanted = {round(i * (count - 1) / (VIDEO_FRAMES_SHOWN - 1)) for i in range(VIDEO_FRAMES_SHOWN)}
    frames = []
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in wanted:
                frames.append(np.asarray(frame.to_ndarray(format="rgb24"), np.uint8))
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/gallery"))
    parser.add_argument(
        "--only", choices=["presets", "ads", "videos"], help="Render one kind of sheet."
    )
    args = parser.parse_args()
    if args.only in (None, "presets"):
        render_sheets(args.out)
    if args.only in (None, "ads"):
        render_ad_sheet(args.out)
    if args.only in (None, "videos"):
        render_video_sheet(args.out)


if __name__ == "__main__":
    main()
