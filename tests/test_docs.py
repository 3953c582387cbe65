"""The docs stay true: the configuration reference is generated from the settings, and every
command shown is one a newcomer can paste after `make run`."""

import re
from pathlib import Path

import typer
from typer.core import TyperGroup

from krev.platform.config_docs import render
from krev_client.cli import app  # the `krev` command, with the server's commands loaded

ROOT = Path(__file__).parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
# `krev` is installed into .venv/bin, not on the PATH: a bare `krev serve` is not found.
BARE_KREV = re.compile(r"(?<![/\w.-])krev [a-z]")
KREV_COMMAND = re.compile(r"\.venv/bin/krev ([a-z][\w-]*)(?: ([a-z][\w-]*))?")


def test_configuration_doc_matches_settings() -> None:
    doc = ROOT / "docs" / "configuration.md"
    assert doc.read_text() == render(), "run `make docs` to regenerate docs/configuration.md"


def test_docs_never_show_a_bare_krev_command() -> None:
    bare = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in DOCS
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if BARE_KREV.search(line)
    ]
    assert not bare, "write `.venv/bin/krev …`:\n" + "\n".join(bare)


def test_every_krev_command_in_the_docs_exists() -> None:
    cli = typer.main.get_command(app)
    assert isinstance(cli, TyperGroup)
    shown = {match for path in DOCS for match in KREV_COMMAND.findall(path.read_text())}
    assert ("admin", "set-password") in shown
    for name, sub in shown:
        command = cli.commands.get(name)
        assert command is not None, f"no `krev {name}` command"
        if isinstance(command, TyperGroup):
            assert sub in command.commands, f"no `krev {name} {sub}` command"
