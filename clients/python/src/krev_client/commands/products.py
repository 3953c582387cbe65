"""``krev products``: upload photos to the catalog, list, show and delete products."""

from __future__ import annotations

from collections.abc import Iterable
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
    message,
)
from krev_client.commands._progress import bars
from krev_client.commands.exit_codes import ExitCode, for_error
from krev_client.errors import KrevError
from krev_client.models import Product
from krev_client.resources.products import URL_PREFIXES

app = typer.Typer(help="Your product catalog.", no_args_is_help=True)

IdArgument = Annotated[str, typer.Argument(help="The product's id.")]
# A failure that is the file's own (refused, its analysis failed): the next file is tried.
PER_FILE = frozenset({ExitCode.INVALID, ExitCode.JOB_FAILED})


@app.command()
def upload(
    files: Annotated[
        list[str],
        typer.Argument(help="Photos (paths; shell globs welcome) or http(s):// URLs."),
    ],
    json_output: JsonOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Add products from photos: each uploaded and analysed, with a progress bar a file.

    A file refused, or whose analysis failed, is reported and the next one is tried; the
    command then ends with that failure's exit code.
    """
    missing = [f for f in files if not f.startswith(URL_PREFIXES) and not Path(f).is_file()]
    if missing:
        raise typer.BadParameter(f"no such file: {', '.join(missing)}", param_hint="FILES")
    output = Output(json_output)
    uploaded: list[Product] = []
    failed: list[ExitCode] = []
    with connect(api_key, base_url, output) as client, bars(output) as progress:
        for source in files:
            bar = progress.job(
                source if source.startswith(URL_PREFIXES) else Path(source).name, status="uploading"
            )
            try:
                product = client.products.upload(
                    source if source.startswith(URL_PREFIXES) else Path(source),
                    wait_timeout=timeout,
                    on_progress=bar,
                )
            except KrevError as error:
                bar.status("failed")
                code = for_error(error)
                if code not in PER_FILE:
                    raise
                output.error(f"{source}: {message(error)}")
                failed.append(code)
                continue
            bar.done(product.status)
            uploaded.append(product)
    if output.json:
        output.data(uploaded)
    elif uploaded:
        show(output, uploaded)
    if failed:
        raise typer.Exit(int(failed[0]))


@app.command("ls")
def list_products(
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", min=1, help="At most this many (newest first).", show_default=False
        ),
    ] = None,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """List your products, newest first."""
    output = Output(json_output)
    with connect(api_key, base_url, output) as client:
        found = list(islice(client.products.list(limit=min(limit or 100, 100)), limit))
    if output.json:
        output.data(found)
    elif found:
        show(output, found)
    else:
        output.note("No products yet: `krev products upload PHOTO` adds one.")


@app.command()
def get(
    product_id: IdArgument,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Show a product and its analysis."""
    output = Output(json_output)
    with connect(api_key, base_url, output) as client:
        product = client.products.get(product_id)
    if output.json:
        return output.data(product)
    metadata = product.metadata
    for label, value in [
        ("ID", product.id),
        ("Name", product.name),
        ("Status", product.status),
        ("Error", product.error),
        ("Category", product.category),
        ("Brand", metadata.brand_name),
        ("Type", metadata.product_type),
        ("Colors", ", ".join(metadata.colors)),
        ("Materials", ", ".join(metadata.materials)),
        ("Created", product.created_at),
        ("Image", product.image_url),
        ("Cut out", product.segmented_image_url),
    ]:
        if value:
            output.line(f"{label + ':':<10} {value}")


@app.command("rm")
def remove(
    product_id: IdArgument,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Delete a product and its files (what was made with it stays)."""
    output = Output(json_output)
    with connect(api_key, base_url, output) as client:
        deleted = client.products.delete(product_id)
    if output.json:
        return output.data(deleted)
    output.line(f"Deleted product {deleted.id}.")


def show(output: Output, products: Iterable[Product]) -> None:
    output.table(
        ("ID", "Status", "Category", "Name"),
        ((p.id, p.status, p.category or "", p.name or "") for p in products),
    )
