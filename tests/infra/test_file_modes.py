"""The embedded mode's files are the server user's alone: the data directory and the storage
directory Krev creates are 0700; the SQLite database with its -wal and -shm files, Huey's
queue database and the generated secret key are 0600, whatever the umask. What the operator
made already is left as it is."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from krev.accounts import service as accounts
from krev.accounts.keys import SCOPES
from krev.composition import build_runtime
from krev.platform.config import Settings
from krev.platform.db import Database
from krev.platform.migrate import upgrade
from tests.conftest import build_app


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask-022", "umask-000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


@pytest.fixture
def first_start(make_settings: Callable[..., Settings], tmp_path: Path) -> Settings:
    """A development start on an empty machine: nothing in DATA_DIR, no secret set."""
    return make_settings(
        env="development", secret_key=None, data_dir=tmp_path / "home" / "data", database_url=None
    )


def test_a_first_start_creates_everything_private(first_start: Settings, umask: int) -> None:
    data = first_start.data_dir
    runtime = build_runtime(first_start)  # creates DATA_DIR, as `krev worker` does
    upgrade(first_start.resolved_database_url)
    with TestClient(build_app(runtime), base_url="http://127.0.0.1:8000") as client:
        with runtime.db.transaction() as session:
            user = accounts.create_user(session, first_start, "a@example.com", "pw pw pw pw", "pro")
            _, key = accounts.create_key(session, first_start, user.id, "k", list(SCOPES))
        response = client.get("/api/v1/credits", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200, response.text
        runtime.storage.put("users/u/outputs/a.webp", b"RIFF", "image/webp")

        files = {path.name: mode(path) for path in data.iterdir() if path.is_file()}
        directories = {path.name: mode(path) for path in data.iterdir() if path.is_dir()}

    assert {"krev.db", "krev.db-wal", "krev.db-shm", "queue.db", "secret_key"} <= set(files)
    assert files == dict.fromkeys(files, 0o600), {name: oct(m) for name, m in files.items()}
    assert mode(data) == 0o700
    assert directories == {"storage": 0o700}


def test_a_database_migrated_into_an_existing_directory_is_private(
    tmp_path: Path, umask: int
) -> None:
    """`krev migrate` and `krev serve` migrate before the app starts."""
    url = f"sqlite:///{tmp_path / 'krev.db'}"

    upgrade(url)
    database = Database(url)
    with database.transaction() as session:
        accounts.create_user(session, _settings(tmp_path), "b@example.com", "pw pw pw pw", "pro")
        written = {name: mode(tmp_path / name) for name in ("krev.db-wal", "krev.db-shm")}
    database.dispose()

    assert mode(tmp_path / "krev.db") == 0o600
    assert written == {"krev.db-wal": 0o600, "krev.db-shm": 0o600}


def test_what_the_operator_made_is_left_as_it_is(first_start: Settings, umask: int) -> None:
    data = first_start.data_dir
    data.mkdir(parents=True, mode=0o750)
    data.chmod(0o750)  # a group of backup readers, say
    (data / "secret_key").write_text("an operator's own secret, long enough to sign with")
    (data / "secret_key").chmod(0o640)

    runtime = build_runtime(first_start)
    runtime.close()

    assert mode(data) == 0o750
    assert mode(data / "secret_key") == 0o640
    assert first_start.secret == b"an operator's own secret, long enough to sign with"


def _settings(data_dir: Path) -> Settings:
    return Settings(
        env="test",
        secret_key="x" * 40,
        data_dir=data_dir,
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
    )


def test_krev_migrate_on_an_empty_machine_makes_a_private_data_dir(
    tmp_path: Path, umask: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from krev.cli import app

    data = tmp_path / "home" / "data"
    monkeypatch.setenv("KREV_DATA_DIR", str(data))
    monkeypatch.setenv("KREV_ENV", "development")
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert mode(data) == 0o700
    assert mode(data / "krev.db") == 0o600
