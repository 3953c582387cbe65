"""What every command of the client shares: its connection options, where its output goes,
and how a failure becomes a message on stderr and an exit code.

Results go to stdout: lines for people, or with ``--json`` the API's ``data`` as JSON for
scripts. Everything else (progress bars, notes, errors) goes to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from rich.text import Text

from krev_client._client import Krev
from krev_client._core import DEFAULT_WAIT_SECONDS
from krev_client.commands import config_file
from krev_client.commands.exit_codes import ExitCode, for_error
from krev_client.errors import APIError, GenerationFailed, KrevError, WaitTimeout
from krev_client.models import Generation

PANEL = "Krev API"
"""The help panel of the client's commands (the server's keep Typer's default one)."""
CONNECTION = "Connection"

ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        help="API key. Default: KREV_API_KEY, else the key `krev login` saved.",
        show_default=False,
        rich_help_panel=CONNECTION,
    ),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="The server, with or without /api/v1. Default: KREV_BASE_URL, else the one "
        "`krev login` saved, else http://127.0.0.1:8000.",
        show_default=False,
        rich_help_panel=CONNECTION,
    ),
]
JsonOption = Annotated[
    bool,
    typer.Option("--json", help="Print the API's data as JSON on stdout (and no progress bars)."),
]
OutOption = Annotated[
    Path,
    typer.Option(
        "--out", "-o", file_okay=False, help="Save the outputs in this directory (made if missing)."
    ),
]
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=0,
        help="Seconds to wait for the result; past them the command ends with exit code 9 and "
        "the job goes on on the server.",
    ),
]
NoWaitOption = Annotated[
    bool,
    typer.Option(
        "--no-wait", help="Print the job's id at once; `krev generations wait ID` fetches it."
    ),
]
DEFAULT_TIMEOUT = DEFAULT_WAIT_SECONDS
PIPED_WIDTH = 1000


class Output:
    """Where a command writes: results on stdout, the rest on stderr."""

    def __init__(self, json_output: bool = False) -> None:
        self.json = json_output
        self.out = Console(highlight=False, soft_wrap=True)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)
        if not self.out.is_terminal:  # piped: lines as long as they are, not cut at 80
            self.out.width = PIPED_WIDTH

    @property
    def live(self) -> bool:
        """Whether progress bars are shown: on a terminal, and not for ``--json``."""
        return not self.json and self.err.is_terminal

    def data(self, value: BaseModel | Sequence[BaseModel]) -> None:
        """The API's ``data`` as JSON on stdout."""
        typer.echo(json.dumps(to_data(value), indent=2, ensure_ascii=False))

    def line(self, text: str = "") -> None:
        """One line of the result, as it is (no markup)."""
        typer.echo(text)

    def table(self, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
        """Rows under their headings on stdout; the first column (an id) is never cut."""
        cells = [[Text(cell) for cell in row] for row in rows]  # text, never markup
        table = Table(box=None, pad_edge=False)
        widest = max((len(row[0]) for row in cells), default=0)
        for index, column in enumerate(columns):
            table.add_column(column, no_wrap=index == 0, min_width=widest if index == 0 else None)
        for row in cells:
            table.add_row(*row)
        self.out.print(table)

    def note(self, text: str) -> None:
        """A line for the person at the terminal, on stderr."""
        self.err.print(text, markup=False)

    def error(self, message: str) -> None:
        self.err.print(Text("Error: ", style="bold red") + Text(message))


def to_data(value: BaseModel | Sequence[BaseModel]) -> Any:
    """A model (or models) as the API's JSON shows it: its field names, its aliases."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    return [item.model_dump(mode="json", by_alias=True) for item in value]


def message(error: BaseException) -> str:
    """What to tell of a failure: the API's own sentence, with its code."""
    if isinstance(error, APIError):
        return f"{error.error} ({error.code}, HTTP {error.status_code})"
    if isinstance(error, GenerationFailed):
        return f"Generation {error.generation_id} {error.status}: {error.error} ({error.code})"
    if isinstance(error, WaitTimeout) and isinstance(error.last, Generation):
        return f"{error} (`krev generations wait {error.id}` waits again)"
    return str(error)


@contextmanager
def handled_errors(output: Output) -> Iterator[None]:
    """Turn the client's errors into a message on stderr and the command's exit code (and a
    file that cannot be read or written into a message rather than a traceback)."""
    try:
        yield
    except KrevError as error:
        output.error(message(error))
        raise typer.Exit(int(for_error(error))) from None
    except OSError as error:
        output.error(str(error))
        raise typer.Exit(int(ExitCode.UNEXPECTED)) from None


@contextmanager
def connect(api_key: str | None, base_url: str | None, output: Output) -> Iterator[Krev]:
    """A client with the resolved key and server, its errors handled."""
    with handled_errors(output):
        connection = config_file.resolve(api_key, base_url)
        with Krev(api_key=connection.api_key, base_url=connection.base_url) as client:
            yield client


def fail(output: Output, text: str, code: ExitCode) -> typer.Exit:
    """The exit of a command that reports ``text`` as its error: ``raise fail(...)``."""
    output.error(text)
    return typer.Exit(int(code))
