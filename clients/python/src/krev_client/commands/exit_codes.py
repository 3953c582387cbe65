"""The exit codes of the client's commands: a contract scripts rely on (the README's table and
the epilog of ``krev --help`` are written from ``DESCRIPTIONS``).

An error answer's code follows its HTTP status; a job or a chat run that ended without its
result, a wait that ran out and a server out of reach have codes of their own.
"""

from __future__ import annotations

from enum import IntEnum

from krev_client.errors import (
    APIConnectionError,
    APIError,
    GenerationFailed,
    KrevError,
    RunFailed,
    WaitTimeout,
)


class ExitCode(IntEnum):
    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    AUTH = 3
    NOT_FOUND = 4
    NO_CREDITS = 5
    INVALID = 6
    RATE_LIMITED = 7
    JOB_FAILED = 8
    TIMED_OUT = 9
    SERVER = 10


DESCRIPTIONS: dict[ExitCode, str] = {
    ExitCode.OK: "done",
    ExitCode.UNEXPECTED: "unexpected error",
    ExitCode.USAGE: "usage error: an unknown option, a bad value, a missing file",
    ExitCode.AUTH: "no API key, or the key was refused (401) or lacks the permission (403)",
    ExitCode.NOT_FOUND: "no such product, generation, run or conversation of yours (404)",
    ExitCode.NO_CREDITS: "not enough credits (402); nothing was charged",
    ExitCode.INVALID: "the request was refused as invalid (400, 409, 413, 415, 422)",
    ExitCode.RATE_LIMITED: "rate limited (429), after the client's retries",
    ExitCode.JOB_FAILED: "the job or chat run failed or was cancelled",
    ExitCode.TIMED_OUT: "still running when the wait ran out (it goes on on the server)",
    ExitCode.SERVER: "server error (5xx) or the server could not be reached",
}


class CommandError(KrevError):
    """A failure of the command itself (no key, a bad config file, a download refused),
    with the exit code it ends with."""

    def __init__(self, message: str, exit_code: ExitCode) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def for_status(status_code: int) -> ExitCode:
    """The exit code of an error answer's HTTP status."""
    if status_code in (401, 403):
        return ExitCode.AUTH
    if status_code == 402:
        return ExitCode.NO_CREDITS
    if status_code == 404:
        return ExitCode.NOT_FOUND
    if status_code == 429:
        return ExitCode.RATE_LIMITED
    if 400 <= status_code < 500:
        return ExitCode.INVALID
    return ExitCode.SERVER  # a 5xx, or an answer that was not the API's


def for_error(error: BaseException) -> ExitCode:
    """The exit code a command ends with when ``error`` stops it."""
    if isinstance(error, CommandError):
        return error.exit_code
    if isinstance(error, GenerationFailed | RunFailed):
        return ExitCode.JOB_FAILED
    if isinstance(error, WaitTimeout):
        return ExitCode.TIMED_OUT
    if isinstance(error, APIConnectionError):
        return ExitCode.SERVER
    if isinstance(error, APIError):
        return for_status(error.status_code)
    return ExitCode.UNEXPECTED


def epilog() -> str:
    """The exit-code table for ``krev --help`` (``\\b`` keeps its lines as they are)."""
    rows = "\n".join(f"{int(code):>3}  {text}" for code, text in DESCRIPTIONS.items())
    return f"Exit codes:\n\b\n{rows}"
