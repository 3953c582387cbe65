"""``krev generations``: your jobs of every kind, shown, listed, waited for, cancelled."""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Annotated

import typer

from krev_client.commands._common import (
    DEFAULT_TIMEOUT,
    ApiKeyOption,
    BaseUrlOption,
    JsonOption,
    Output,
    TimeoutOption,
    connect,
)
from krev_client.commands._download import save_all
from krev_client.commands._progress import bars
from krev_client.models import Generation, JobStatus

app = typer.Typer(help="Your jobs: images, videos, ads, analyses, chat runs.", no_args_is_help=True)

IdArgument = Annotated[str, typer.Argument(help="The generation's id.")]


@app.command()
def get(
    generation_id: IdArgument,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Show a job: status, progress, outputs."""
    output = Output(json_output)
    with connect(api_key, base_url, output) as client:
        generation = client.generations.get(generation_id)
    if output.json:
        return output.data(generation)
    for label, value in [
        ("ID", generation.id),
        ("Kind", generation.kind),
        ("Status", generation.status),
        ("Progress", f"{generation.progress}%"),
        ("In line", generation.queue_position),
        ("Error", generation.error and f"{generation.error} ({generation.error_code})"),
        ("Credits", generation.credits_used),
        ("Created", generation.created_at),
        ("Completed", generation.completed_at),
    ]:
        if value is not None and value != "":
            output.line(f"{label + ':':<10} {value}")
    for url in outputs(generation):
        output.line(f"Output:    {url}")


@app.command("ls")
def list_generations(
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind", help="image, video, ad, product_analysis or chat.", show_default=False
        ),
    ] = None,
    status: Annotated[JobStatus | None, typer.Option("--status", show_default=False)] = None,
    product: Annotated[
        str | None,
        typer.Option("--product", "-p", help="Jobs for this product.", show_default=False),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="At most this many, newest first (0: all).")
    ] = 20,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """List your jobs, newest first."""
    output = Output(json_output)
    with connect(api_key, base_url, output) as client:
        pages = client.generations.list(
            kind=kind, status=status, product_id=product, limit=min(limit or 100, 100)
        )
        found = list(islice(pages, limit or None))
    if output.json:
        return output.data(found)
    if not found:
        return output.note("No jobs.")
    output.table(
        ("ID", "Kind", "Status", "Progress", "Credits", "Created"),
        (
            (g.id, g.kind, g.status, f"{g.progress}%", str(g.credits_used), g.created_at)
            for g in found
        ),
    )


@app.command()
def wait(
    generation_id: IdArgument,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            file_okay=False,
            help="Save the outputs in this directory.",
            show_default=False,
        ),
    ] = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Wait for a job to end; with --out, save its outputs (else print their URLs).

    A job that failed or was cancelled ends with exit code 8; one still running when the
    wait runs out, with 9.
    """
    output = Output(json_output)
    with connect(api_key, base_url, output) as client, bars(output) as progress:
        bar = progress.job(generation_id[:8], status="waiting")
        generation = client.generations.wait(generation_id, timeout=timeout, on_progress=bar)
        bar.done()
        urls = outputs(generation)
        paths = save_all(((generation.id, url) for url in urls), out, progress) if out else []
    if output.json:
        output.data(generation)
        for path in paths:
            output.note(f"Saved {path}")
        return
    for line in paths or urls:
        output.line(str(line))


@app.command()
def cancel(
    generation_id: IdArgument,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Cancel a queued or running job (its credits are refunded)."""
    output = Output(json_output)
    with connect(api_key, base_url, output) as client:
        generation = client.generations.cancel(generation_id)
    if output.json:
        return output.data(generation)
    output.line(f"Cancelled {generation.id} ({generation.status}).")


@app.command("rm")
def remove(
    generation_id: IdArgument,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Delete an ended job and its files."""
    output = Output(json_output)
    with connect(api_key, base_url, output) as client:
        deleted = client.generations.delete(generation_id)
    if output.json:
        return output.data(deleted)
    output.line(f"Deleted generation {deleted.id}.")


def outputs(generation: Generation) -> list[str]:
    return generation.output.urls if generation.output is not None else []
