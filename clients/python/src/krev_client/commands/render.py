"""``krev images``, ``krev videos`` and ``krev ads``: render, wait, save the files.

Each waits for its job with a progress bar on stderr, then saves the outputs in ``--out``
as ``<generation_id>-<n>.<ext>`` and prints their paths (with ``--json``, the API's result;
the paths are then told on stderr). ``--no-wait`` prints the job's id at once instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from krev_client._client import Krev
from krev_client.commands._common import (
    DEFAULT_TIMEOUT,
    PANEL,
    ApiKeyOption,
    BaseUrlOption,
    JsonOption,
    NoWaitOption,
    OutOption,
    Output,
    TimeoutOption,
    connect,
)
from krev_client.commands._download import save_all
from krev_client.commands._progress import JobBar, bars
from krev_client.models import (
    AdAspectRatio,
    AdResult,
    AdStyleId,
    AudioMode,
    ImageAspectRatio,
    ImageCount,
    ImageResult,
    JobAccepted,
    VideoResult,
)

R = TypeVar("R", ImageResult, VideoResult, AdResult)

ProductsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--product",
        "-p",
        help="A product of yours to show (repeat for several).",
        show_default=False,
    ),
]
CountOption = Annotated[
    ImageCount | None,
    typer.Option("--count", "-n", help="How many images: 1, 2 or 4.", show_default=False),
]


def images(
    prompt: Annotated[str, typer.Argument(help="The scene: setting, light, mood.")],
    product: ProductsOption = None,
    aspect_ratio: Annotated[
        ImageAspectRatio | None, typer.Option("--aspect-ratio", "-a", show_default=False)
    ] = None,
    count: CountOption = None,
    hd: Annotated[bool, typer.Option("--hd", help="Render in HD (twice the credits).")] = False,
    preset: Annotated[
        str | None, typer.Option("--preset", help="A studio preset's id.", show_default=False)
    ] = None,
    out: OutOption = Path("."),
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Generate product images (40 credits each, 80 in HD) and save them."""
    output = Output(json_output)
    products = product or []
    result, paths = render(
        output,
        "images",
        lambda client, bar: client.images.generate(
            prompt,
            product_id=products[0] if len(products) == 1 else None,
            product_ids=products if len(products) > 1 else None,
            aspect_ratio=aspect_ratio,
            image_count=count,
            hd=True if hd else None,
            preset_id=preset,
            wait=not no_wait,
            wait_timeout=timeout,
            on_progress=bar,
        ),
        lambda done: done.images,
        out,
        api_key,
        base_url,
    )
    finish(output, result, paths)


def videos(
    prompt: Annotated[str, typer.Argument(help="The shot: motion, setting, mood.")],
    product: Annotated[
        str | None,
        typer.Option("--product", "-p", help="A product of yours to show.", show_default=False),
    ] = None,
    duration: Annotated[
        int | None,
        typer.Option("--duration", "-d", help="Seconds (4 to 15).", show_default=False),
    ] = None,
    aspect_ratio: Annotated[
        ImageAspectRatio | None, typer.Option("--aspect-ratio", "-a", show_default=False)
    ] = None,
    audio_mode: Annotated[
        AudioMode | None, typer.Option("--audio-mode", show_default=False)
    ] = None,
    preset: Annotated[
        str | None, typer.Option("--preset", help="A studio preset's id.", show_default=False)
    ] = None,
    out: OutOption = Path("."),
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Generate an MP4 video (80 credits a second) and save it."""
    output = Output(json_output)
    result, paths = render(
        output,
        "video",
        lambda client, bar: client.videos.generate(
            prompt,
            product_id=product,
            duration=duration,
            aspect_ratio=aspect_ratio,
            audio_mode=audio_mode,
            preset_id=preset,
            wait=not no_wait,
            wait_timeout=timeout,
            on_progress=bar,
        ),
        lambda done: [done.video_url],
        out,
        api_key,
        base_url,
    )
    finish(output, result, paths)


def ads(
    brief: Annotated[str, typer.Argument(help="What the ad is for: an offer, an audience.")],
    product: Annotated[
        list[str],
        typer.Option("--product", "-p", help="A product of yours (1 to 4: repeat the option)."),
    ],
    count: CountOption = None,
    style: Annotated[AdStyleId | None, typer.Option("--style", "-s", show_default=False)] = None,
    aspect_ratio: Annotated[
        AdAspectRatio | None, typer.Option("--aspect-ratio", "-a", show_default=False)
    ] = None,
    out: OutOption = Path("."),
    no_wait: NoWaitOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Generate ad images with their copy (40 credits an image), save them, print the copy."""
    output = Output(json_output)
    result, paths = render(
        output,
        "ads",
        lambda client, bar: client.ads.generate(
            brief,
            product,
            image_count=count,
            style_id=style,
            aspect_ratio=aspect_ratio,
            wait=not no_wait,
            wait_timeout=timeout,
            on_progress=bar,
        ),
        lambda done: done.images,
        out,
        api_key,
        base_url,
    )
    if isinstance(result, JobAccepted) or output.json:
        return finish(output, result, paths)
    copies = result.ad_copies or [result.ad_copy]
    for index, path in enumerate(paths):
        copy = copies[min(index, len(copies) - 1)]
        output.line(str(path))
        output.line(f"  {copy.style_name}: {copy.headline}")
        output.line(f"  Hook: {copy.hook}")
        output.line(f"  Body: {copy.body_copy}")
        output.line(f"  CTA:  {copy.cta}")
    output.note(f"{result.credits_used} credits used.")


def render(
    output: Output,
    label: str,
    start: Callable[[Krev, JobBar], R | JobAccepted],
    urls: Callable[[R], list[str]],
    out: Path,
    api_key: str | None,
    base_url: str | None,
) -> tuple[R | JobAccepted, list[Path]]:
    """Start a job with a progress bar, wait for it and save its outputs; what it answered
    and the paths saved. Nothing is printed on stdout until the bars are gone."""
    with connect(api_key, base_url, output) as client, bars(output) as progress:
        bar = progress.job(label)
        result = start(client, bar)
        if isinstance(result, JobAccepted):
            bar.status("accepted")
            return result, []
        bar.done()
        outputs = [(result.generation_id, url) for url in urls(result)]
        return result, save_all(outputs, out, progress)


def finish(
    output: Output, result: ImageResult | VideoResult | AdResult | JobAccepted, paths: list[Path]
) -> None:
    """The saved files' paths, one a line (with ``--json``: the result, the paths on stderr);
    for ``--no-wait``, the job's id (or the 202's data)."""
    if isinstance(result, JobAccepted):
        if output.json:
            return output.data(result)
        output.line(result.generation_id)
        return output.note(
            f"Queued. Fetch it with: krev generations wait {result.generation_id} --out DIR"
        )
    if output.json:
        output.data(result)
        for path in paths:
            output.note(f"Saved {path}")
        return
    for path in paths:
        output.line(str(path))
    output.note(f"{result.credits_used} credits used.")


def register(root: typer.Typer) -> None:
    root.command(rich_help_panel=PANEL)(images)
    root.command(rich_help_panel=PANEL)(videos)
    root.command(rich_help_panel=PANEL)(ads)
