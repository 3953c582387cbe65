"""``krev chat``: a run of the creative agent, queued, or followed to its reply."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markdown import Markdown

from krev_client.commands._common import (
    DEFAULT_TIMEOUT,
    PANEL,
    ApiKeyOption,
    BaseUrlOption,
    JsonOption,
    Output,
    TimeoutOption,
    connect,
)
from krev_client.commands._download import save_all
from krev_client.commands._progress import bars
from krev_client.models import Agent


def chat(
    message: Annotated[str, typer.Argument(help="What to ask the agent.")],
    product: Annotated[
        list[str] | None,
        typer.Option(
            "--product", "-p", help="A product of yours (repeat for several).", show_default=False
        ),
    ] = None,
    conversation: Annotated[
        str | None,
        typer.Option(
            "--conversation", "-c", help="Continue this conversation.", show_default=False
        ),
    ] = None,
    agent: Annotated[
        Agent | None,
        typer.Option("--agent", help="Which agent answers (default: auto).", show_default=False),
    ] = None,
    max_credits: Annotated[
        int | None,
        typer.Option(
            "--max-credits",
            min=0,
            help="At most this many credits for its renders.",
            show_default=False,
        ),
    ] = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow", "-f", help="Wait for the run: show its progress, print the reply."
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            file_okay=False,
            help="With --follow: save the run's media in this directory (else their URLs are "
            "printed).",
            show_default=False,
        ),
    ] = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Ask the creative agent: concepts, copy, renders, research.

    Without --follow it prints the run's id and conversation's id (with --json, the queued
    run). With --follow it waits for the reply and prints it; a run that failed or was
    cancelled ends with exit code 8.
    """
    output = Output(json_output)
    with connect(api_key, base_url, output) as client:
        queued = client.chat.send(
            message,
            product_ids=product or None,
            conversation_id=conversation,
            agent=agent,
            max_credits=max_credits,
        )
        if not follow:
            if output.json:
                return output.data(queued)
            output.line(f"Run:          {queued.run_id}")
            output.line(f"Conversation: {queued.conversation_id}")
            return output.note("Queued; `krev chat … --follow` waits for the reply.")
        with bars(output) as progress:
            bar = progress.job("chat", status=queued.status)
            run = client.chat.runs.wait(queued.run_id, timeout=timeout, on_progress=bar)
            bar.done()
            media = [(item.generation_id, item.url) for item in run.media]
            paths = save_all(media, out, progress) if out and media else []
    if output.json:
        output.data(run)
        for path in paths:
            output.note(f"Saved {path}")
        return
    if output.out.is_terminal:  # the agent writes Markdown
        output.out.print(Markdown(run.assistant_text or ""))
    else:
        output.line(run.assistant_text or "")
    if paths or run.media:
        output.line()
    for path in paths:
        output.line(str(path))
    if not paths:
        for item in run.media:
            output.line(f"{item.kind}: {item.url}")
    output.note(f"Conversation {run.conversation_id}; {run.credits_used} credits used.")


def register(root: typer.Typer) -> None:
    root.command(rich_help_panel=PANEL)(chat)
