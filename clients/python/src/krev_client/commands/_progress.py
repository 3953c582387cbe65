"""Rich progress bars on stderr for uploads, renders, chat runs and downloads: one line a
task. Off when stderr is not a terminal or with ``--json``, where only the result is wanted."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from krev_client.commands._common import Output
from krev_client.models import Generation, Run


class Bars:
    """The progress bars of one command."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def job(self, description: str, status: str = "submitting") -> JobBar:
        """A bar for a job (or a chat run), moved by its ``on_progress`` views."""
        task = self.progress.add_task(description, total=100, status=status)
        return JobBar(self.progress, task)

    def transfer(self, description: str, total: int | None) -> Callable[[int], None]:
        """A bar for a download of ``total`` bytes (None: unknown); call it with each chunk's
        size."""
        task = self.progress.add_task(description, total=total, status="", bytes=True)

        def advance(size: int) -> None:
            self.progress.advance(task, size)

        return advance


class JobBar:
    def __init__(self, progress: Progress, task: TaskID) -> None:
        self.progress = progress
        self.task = task

    def __call__(self, view: Generation | Run) -> None:
        """Show a job's (or a run's) status and progress: ``on_progress=bar``."""
        self.status(describe(view), completed=view.progress)

    def status(self, text: str, completed: int | None = None) -> None:
        self.progress.update(self.task, status=text, completed=completed)

    def done(self, text: str = "done") -> None:
        self.progress.update(self.task, status=text, completed=100)


def describe(view: Generation | Run) -> str:
    """A job's state in a few words: ``queued (3rd in line)``, ``processing``…"""
    position = getattr(view, "queue_position", None)
    if view.status == "queued" and position:
        return "queued, next in line" if position == 1 else f"queued, {position} in line"
    return view.status


class SizeColumn(DownloadColumn):
    """Bytes done and in all, for a download's bar only (a job's progress is a percentage)."""

    def render(self, task: Task) -> Text:
        return super().render(task) if task.fields.get("bytes") else Text("")


@contextmanager
def bars(output: Output) -> Iterator[Bars]:
    """Progress bars on stderr for as long as the block runs (hidden unless ``output.live``)."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        SizeColumn(binary_units=True),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=output.err,
        disable=not output.live,
        redirect_stdout=False,  # stdout is for results, never moved to the bars' stderr
    )
    with progress:
        yield Bars(progress)
