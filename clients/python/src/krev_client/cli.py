"""The ``krev`` command: one command for everyone, the client's own commands and what the
installed packages add.

Only this distribution declares the ``krev`` console script. Its own commands (``images``,
``videos``, ``ads``, ``products``, ``generations``, ``chat``, ``credits``, ``login``,
``logout``: ``krev_client.commands``) speak to a Krev server through the SDK. Any installed
package adds commands through the entry-point group ``krev.cli``; each entry point is either

- a ``typer.Typer``: a command group, named after the entry point
  (``admin = "krev.cli:admin"`` gives ``krev admin …``), or
- a function taking the root ``typer.Typer``, that registers its commands on it
  (``serve = "krev.cli:register_serve"`` gives ``krev serve``).

The server (``krev``) registers ``serve``, ``worker``, ``migrate``, ``sweep`` and ``admin``
this way; with the client alone installed, ``krev`` has the client's commands. A package
whose entry point fails to load costs only its own commands: the failure is reported and the
rest of the command works.
"""

from __future__ import annotations

import sys
from importlib.metadata import EntryPoint, entry_points
from typing import Annotated

import typer

from krev_client import commands
from krev_client._version import API_VERSION, __version__

ENTRY_POINT_GROUP = "krev.cli"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"krev-client {__version__} (Krev API {API_VERSION})")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Krev from the command line: images, videos, ads, your catalog, chat runs and credits;
    with the server installed, its server, workers and administration too."""


def build_app(points: list[EntryPoint] | None = None) -> typer.Typer:
    """The ``krev`` app: the client's commands, and those of ``points`` (by default, the
    installed entry points of ``krev.cli``, in the order of their names)."""
    root = typer.Typer(
        no_args_is_help=True,
        add_completion=False,
        epilog=commands.epilog(),
        # A traceback's local variables would show the API key.
        pretty_exceptions_show_locals=False,
    )
    root.callback()(_root)
    commands.register(root)
    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda p: p.name)
    for point in found if points is None else points:
        try:
            add_commands(root, point.name, point.load())
        except Exception as error:  # one broken package must not take the others down
            print(
                f"krev: the commands of {point.value!r} ({point.name}) could not be loaded: "
                f"{type(error).__name__}: {error}",
                file=sys.stderr,
            )
    return root


def add_commands(root: typer.Typer, name: str, target: object) -> None:
    """Add one entry point's commands: a Typer app as group ``name``, or a registering
    function called with ``root``."""
    if isinstance(target, typer.Typer):
        root.add_typer(target, name=name)
    elif callable(target):
        target(root)
    else:
        raise TypeError(f"a krev.cli entry point is a typer.Typer or a function, not {target!r}")


app = build_app()
"""The console script's target (``krev = "krev_client.cli:app"``). Built when this module is
imported, which only the command does: ``import krev_client`` loads no command."""

if __name__ == "__main__":
    app()
