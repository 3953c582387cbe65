"""``krev login``, ``krev logout`` and ``krev credits``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from krev_client._client import Krev
from krev_client.commands import config_file
from krev_client.commands._common import (
    PANEL,
    ApiKeyOption,
    BaseUrlOption,
    JsonOption,
    Output,
    connect,
    fail,
    handled_errors,
)
from krev_client.commands.exit_codes import ExitCode


def login(
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            help="The key to save (sk_live_…). When not given: asked for without echo at a "
            "terminal, else the first line of standard input.",
            show_default=False,
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="The server. Asked for on a terminal when not given; else KREV_BASE_URL, the "
            "one saved before, or http://127.0.0.1:8000.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Save an API key (and the server's address) for the commands that follow.

    The key is checked with the server first (GET /api/v1/credits), then written to
    $XDG_CONFIG_HOME/krev/config.toml (~/.config/krev/config.toml), readable by you alone.
    """
    output = Output()
    interactive = sys.stdin.isatty()
    with handled_errors(output):
        if base_url is None:
            default = config_file.default_base_url()
            base_url = typer.prompt("Server", default=default) if interactive else default
        base_url = config_file.checked_base_url(base_url)
        if api_key is None:
            # Not getpass for a piped key: it would read the terminal instead of the pipe.
            api_key = (
                typer.prompt("API key", hide_input=True) if interactive else sys.stdin.readline()
            )
        api_key = api_key.strip()
        if not api_key:
            raise fail(output, "The API key is empty.", ExitCode.USAGE)
        with Krev(api_key=api_key, base_url=base_url) as client:
            credits = client.credits.get()  # a refused key ends here, nothing written
            server = client.base_url
        path = config_file.save(config_file.Profile(api_key=api_key, base_url=base_url))
    output.line(
        f"Logged in to {server}: {credits.plan_name} plan, "
        f"{credits.credits.current_formatted} credits. Key saved in {path}."
    )


def logout() -> None:
    """Forget the saved key: remove the file `krev login` wrote."""
    output = Output()
    path = config_file.remove()
    if path is None:
        output.line(f"Not logged in: there is no {config_file.config_path()}.")
    else:
        output.line(f"Logged out: removed {path}.")


def credits(
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Your plan, its credits and its storage."""
    output = Output(json_output)
    with connect(api_key, base_url, output) as client:
        balance = client.credits.get()
    if output.json:
        output.data(balance)
        return
    output.line(f"Plan:     {balance.plan_name} ({balance.plan})")
    output.line(
        f"Credits:  {balance.credits.current_formatted} of {balance.credits.limit_formatted}"
    )
    output.line(f"Storage:  {balance.storage.used_formatted} of {balance.storage.limit_formatted}")
    output.line(f"Resets:   {balance.resets_at}")


def register(root: typer.Typer) -> None:
    root.command(rich_help_panel=PANEL)(credits)
    root.command(rich_help_panel=PANEL)(login)
    root.command(rich_help_panel=PANEL)(logout)
