"""The client's own commands of ``krev``: ``login``, ``logout``, ``credits``, ``images``,
``videos``, ``ads``, ``chat``, and the ``products`` and ``generations`` groups.

They are the client's, registered on the root app by ``krev_client.cli.build_app`` (not
entry points: they come with the command). Each takes ``--api-key`` and ``--base-url``
(else ``KREV_API_KEY`` and ``KREV_BASE_URL``, else what ``krev login`` saved), prints its
result on stdout (``--json``: the API's data) and ends with an exit code of
``krev_client.commands.exit_codes``.
"""

from __future__ import annotations

import typer

from krev_client.commands import account, chat, generations, products, render
from krev_client.commands._common import PANEL
from krev_client.commands.exit_codes import DESCRIPTIONS, ExitCode, epilog

__all__ = ["DESCRIPTIONS", "ExitCode", "epilog", "register"]


def register(root: typer.Typer) -> None:
    """Add the client's commands to ``root``."""
    render.register(root)
    root.add_typer(products.app, name="products", rich_help_panel=PANEL)
    root.add_typer(generations.app, name="generations", rich_help_panel=PANEL)
    chat.register(root)
    account.register(root)
