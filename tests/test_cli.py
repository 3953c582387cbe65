"""The krev command line: admin tasks against the real database, and the first start."""

from __future__ import annotations

import base64
import io
import os
import pty
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from krev.cli import app as cli
from krev.platform.config import Settings
from tests.accounts.dashboard import login
from tests.conftest import TEST_SECRET, Account

KEY_PATTERN = re.compile(r"sk_live_[0-9A-Za-z]{38}")


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    return {
        "KREV_ENV": "test",
        "KREV_SECRET_KEY": TEST_SECRET,
        "KREV_DATA_DIR": str(settings.data_dir),
        "KREV_DATABASE_URL": settings.resolved_database_url,
    }


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env, input=stdin)
    return result.exit_code, result.output


def test_create_user_key_and_grant(cli_env: dict[str, str], client: TestClient) -> None:
    code, out = run(
        cli_env,
        "admin",
        "create-user",
        "Ops@Example.com",
        "--password",
        "s3cret-pass",
        "--plan",
        "starter",
    )
    assert code == 0, out
    assert "ops@example.com" in out and "1000 credits" in out

    code, out = run(
        cli_env, "admin", "create-key", "ops@example.com", "--name", "ci", "--scopes", "credits"
    )
    assert code == 0, out
    key = out.strip()
    assert KEY_PATTERN.fullmatch(key), out  # only the key is printed

    headers = {"Authorization": f"Bearer {key}"}
    credits = client.get("/api/v1/credits", headers=headers).json()["data"]
    assert credits["plan"] == "starter"
    assert credits["credits"]["current"] == 1000
    # The CLI honoured --scopes: this key cannot read generations of image kinds.
    assert client.get("/api/v1/generations", headers=headers).json()["data"] == []

    code, out = run(cli_env, "admin", "grant-credits", "ops@example.com", "250", "--note", "promo")
    assert code == 0, out
    assert "1,250" in out
    assert (
        client.get("/api/v1/credits", headers=headers).json()["data"]["credits"]["current"] == 1250
    )
    history = client.get("/api/v1/credits/history", headers=headers).json()["data"]
    assert (
        history[0]["kind"] == "grant"
        and history[0]["delta"] == 250
        and history[0]["note"] == "promo"
    )


def test_admin_errors_are_sentences(cli_env: dict[str, str], account: Account) -> None:
    code, out = run(cli_env, "admin", "create-user", account.email, "--password", "another-pass")
    assert code == 1 and "already exists" in out

    code, out = run(cli_env, "admin", "create-key", "nobody@example.com")
    assert code == 1 and "No user" in out

    code, out = run(cli_env, "admin", "create-key", account.email, "--scopes", "images,telepathy")
    assert code != 0 and "telepathy" in out

    code, out = run(cli_env, "admin", "grant-credits", account.email, "-999999")
    assert code == 1 and "below zero" in out

    code, out = run(
        cli_env,
        "admin",
        "create-user",
        "x@example.com",
        "--password",
        "longenough",
        "--plan",
        "platinum",
    )
    assert code == 1 and "Unknown plan" in out


def test_grant_credits_takes_a_negative_amount(
    cli_env: dict[str, str], client: TestClient, account: Account
) -> None:
    """As the README shows it: `krev admin grant-credits EMAIL -150`, no `--` needed."""
    code, out = run(cli_env, "admin", "grant-credits", account.email, "-150", "--note", "refund")

    assert code == 0, out
    assert "2,350" in out  # the pro plan's 2,500 less 150
    credits = client.get("/api/v1/credits", headers=account.headers).json()["data"]
    assert credits["credits"]["current"] == 2350
    history = client.get("/api/v1/credits/history", headers=account.headers).json()["data"]
    assert history[0]["delta"] == -150 and history[0]["note"] == "refund"

    # Letting "-150" through as an argument does not let a mistyped option through.
    code, out = run(cli_env, "admin", "grant-credits", account.email, "-5", "--nte", "x")
    assert code == 2 and "--nte" in out
    code, out = run(cli_env, "admin", "grant-credits", account.email, "-x")
    assert code == 2 and "amount" in out


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_an_admin_grant_is_recorded_as_the_admins_doing(
    cli_env: dict[str, str], settings: Settings, client: TestClient, account: Account
) -> None:
    env = {**cli_env, **({"KREV_REDIS_URL": settings.redis_url} if settings.redis_url else {})}

    assert run(env, "admin", "grant-credits", account.email, "300")[0] == 0
    assert run(env, "admin", "grant-credits", account.email, "-100")[0] == 0

    history = client.get("/api/v1/credits/history", headers=account.headers).json()["data"]
    assert [(e["kind"], e["source"], e["api_key_id"]) for e in history] == [
        ("adjustment", "admin", None),
        ("grant", "admin", None),
        ("monthly_reset", "system", None),  # the opening balance
    ]


def test_set_password_from_stdin_logs_out_every_session(
    cli_env: dict[str, str], client: TestClient, account: Account
) -> None:
    """`echo … | krev admin set-password EMAIL`: the first line of a piped standard input."""
    logged_in = login(client, account)

    code, out = run(
        cli_env, "admin", "set-password", account.email, stdin="a new passphrase\nignored\n"
    )

    assert code == 0, out
    assert "password changed, 1 dashboard session logged out" in " ".join(out.split())
    assert client.get("/api/v1/keys").status_code == 401  # the admin path spares no session
    old = {"email": account.email, "password": account.password}
    assert client.post("/api/v1/auth/login", json=old).status_code == 401
    new = {"email": account.email, "password": "a new passphrase"}
    assert client.post("/api/v1/auth/login", json=new).status_code == 200
    assert logged_in.csrf  # the session that was logged out had been a real one


def test_set_password_refuses_a_short_password_or_an_unknown_user(
    cli_env: dict[str, str], client: TestClient, account: Account
) -> None:
    logged_in = login(client, account)

    code, out = run(cli_env, "admin", "set-password", account.email, stdin="short\n")
    assert code == 1 and "at least 8 characters" in out, out
    code, out = run(cli_env, "admin", "set-password", account.email, stdin="")
    assert code == 1 and "at least 8 characters" in out, out
    code, out = run(cli_env, "admin", "set-password", "nobody@example.com", stdin="long enough\n")
    assert code == 1 and "No user" in out, out

    assert logged_in.key_list()  # still logged in: nothing changed
    old = {"email": account.email, "password": account.password}
    assert client.post("/api/v1/auth/login", json=old).status_code == 200


def test_set_password_at_a_terminal_asks_twice_without_echo(
    cli_env: dict[str, str], client: TestClient, account: Account
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KREV_")} | cli_env
    pid, terminal = pty.fork()
    if pid == 0:  # the child: krev on a real terminal
        os.execve(
            sys.executable,
            [sys.executable, "-m", "krev.cli", "admin", "set-password", account.email],
            env,
        )
    transcript = _answer_prompts(terminal, ["New password: ", "Repeat for confirmation: "])
    os.write(terminal, b"typed at a terminal\n")
    transcript += _read_to_end(terminal)
    _, status = os.waitpid(pid, 0)
    os.close(terminal)

    assert os.waitstatus_to_exitcode(status) == 0, transcript
    assert "typed at a terminal" not in transcript  # never echoed
    assert "password changed" in transcript
    new = {"email": account.email, "password": "typed at a terminal"}
    assert client.post("/api/v1/auth/login", json=new).status_code == 200


def _read_some(terminal: int) -> str:
    try:
        return os.read(terminal, 4096).decode(errors="replace")
    except OSError:  # EIO: the child closed the terminal
        return ""


def _answer_prompts(terminal: int, prompts: list[str]) -> str:
    """Read the terminal until each prompt in turn, answering it with the same password (the
    last answer is left to the caller)."""
    transcript = ""
    for index, prompt in enumerate(prompts):
        while not transcript.endswith(prompt):
            chunk = _read_some(terminal)
            assert chunk, f"no {prompt!r} prompt: {transcript}"
            transcript += chunk
        if index < len(prompts) - 1:
            os.write(terminal, b"typed at a terminal\n")
    return transcript


def _read_to_end(terminal: int) -> str:
    output = ""
    while chunk := _read_some(terminal):
        output += chunk
    return output


@pytest.mark.parametrize(
    ("scopes", "sentence"),
    [
        ("", "at least one scope"),
        (" , ", "at least one scope"),
        ("images,telepathy", "unknown scope(s) telepathy"),
    ],
)
def test_create_key_refuses_a_key_without_valid_scopes(
    cli_env: dict[str, str], client: TestClient, account: Account, scopes: str, sentence: str
) -> None:
    code, out = run(cli_env, "admin", "create-key", account.email, "--scopes", scopes)

    assert code == 1, out
    assert sentence in out, out
    assert not KEY_PATTERN.search(out)
    # Only the account's own test key exists: nothing was created with every scope.
    assert [key["name"] for key in login(client, account).key_list()] == ["test"]


def test_production_requires_a_secret(tmp_path: Path) -> None:
    env = {"KREV_ENV": "production", "KREV_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli, ["migrate"], env={**env, "KREV_SECRET_KEY": ""})
    assert result.exit_code == 2
    assert "KREV_SECRET_KEY is required" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(data_dir: Path, port: int, *, port_option: bool = False) -> subprocess.Popen[str]:
    """`krev serve` on ``port``, given as KREV_PORT or (``port_option``) as --port."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KREV_")} | {
        "KREV_DATA_DIR": str(data_dir),
        "KREV_LOG_LEVEL": "WARNING",
    }
    options = ["--port", str(port)] if port_option else []
    if not port_option:
        env["KREV_PORT"] = str(port)
    return subprocess.Popen(
        [sys.executable, "-m", "krev.cli", "serve", *options],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_ready(port: int, process: subprocess.Popen[str]) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise AssertionError(
                f"server exited: {process.stdout.read() if process.stdout else ''}"
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not become ready")


def _stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def test_first_start_prints_login_and_key_once(tmp_path: Path) -> None:
    """What `make run` does on an empty data directory, on the embedded defaults."""
    data_dir = tmp_path / "data"
    port = _free_port()
    server = _serve(data_dir, port)
    try:
        _wait_ready(port, server)
        base = f"http://127.0.0.1:{port}"
        # The printed key is only known from the output; stop to read it.
    finally:
        output = _stop(server)
    keys = sorted(set(KEY_PATTERN.findall(output)))
    assert len(keys) == 1, output
    assert "admin@krev.local" in output
    curl_lines = [line for line in output.splitlines() if "curl " in line]
    assert curl_lines and keys[0] in curl_lines[0]  # copy-pasteable, not wrapped
    assert f"Dashboard:            {base}/dashboard\n" in output  # next to its login
    assert _listening_line(port) in output
    assert (data_dir / "krev.db").exists() and (data_dir / "secret_key").exists()

    server = _serve(data_dir, port)
    try:
        _wait_ready(port, server)
        assert httpx.get(f"{base}/dashboard/login").status_code == 200
        response = httpx.get(
            f"{base}/api/v1/credits", headers={"Authorization": f"Bearer {keys[0]}"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["data"]["plan"] == "pro"
        login = re.search(r"admin@krev\.local / (\S+)", output)
        assert login is not None
        session = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"email": "admin@krev.local", "password": login.group(1)},
        )
        assert session.status_code == 200, session.text
    finally:
        second_output = _stop(server)
    assert not KEY_PATTERN.findall(second_output)  # shown once, never again
    assert _listening_line(port) in second_output  # where to go, on every start


def _listening_line(port: int) -> str:
    base = f"http://127.0.0.1:{port}"
    return (
        f"Krev is listening on 127.0.0.1:{port}: API {base}/api/v1 "
        f"(docs {base}/api/v1/docs), dashboard {base}/dashboard\n"
    )


@pytest.mark.parametrize(
    ("host", "public_base_url", "expected"),
    [
        ("127.0.0.1", None, "http://127.0.0.1:8101"),
        ("0.0.0.0", None, "http://127.0.0.1:8101"),  # every interface: this machine's loopback
        ("::", None, "http://[::1]:8101"),
        ("fd00::5", None, "http://[fd00::5]:8101"),
        ("krev.lan", None, "http://krev.lan:8101"),
        ("0.0.0.0", "https://api.example.com/", "https://api.example.com"),
    ],
)
def test_default_public_url_is_where_serve_listens(
    host: str, public_base_url: str | None, expected: str
) -> None:
    settings = Settings(host=host, port=8101, public_base_url=public_base_url)
    assert settings.base_url == expected


def _printed_until(process: subprocess.Popen[str], marker: str) -> str:
    """What the server printed up to the line holding ``marker``: the first-start lines are
    printed and flushed before the server binds, so once it answers they are in the pipe."""
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or marker not in lines[-1]:
        line = process.stdout.readline()
        assert line, f"the server printed no {marker!r}: {''.join(lines)}"
        lines.append(line)
    return "".join(lines)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_serve_port_option_is_the_default_public_url(tmp_path: Path) -> None:
    """`krev serve --port N` without KREV_PORT: every URL the API hands out names port N."""
    port = _free_port()
    server = _serve(tmp_path / "data", port, port_option=True)
    try:
        _wait_ready(port, server)
        base = f"http://127.0.0.1:{port}"
        first_start = _printed_until(server, "listening on")
        assert f"curl {base}/api/v1/credits " in first_start
        assert first_start.endswith(_listening_line(port))
        key = KEY_PATTERN.search(first_start)
        assert key is not None, first_start
        headers = {"Authorization": f"Bearer {key.group()}"}

        presets = httpx.get(f"{base}/api/v1/presets", headers=headers).json()["data"]
        thumbnail = presets[0]["thumbnail_url"]
        assert thumbnail.startswith(f"{base}/"), thumbnail
        assert httpx.get(thumbnail).headers["content-type"] == "image/webp"

        accepted = httpx.post(
            f"{base}/api/v1/products",
            json={"image_url": f"data:image/png;base64,{base64.b64encode(_png()).decode()}"},
            headers={**headers, "Prefer": "respond-async"},
        )
        assert accepted.status_code == 202, accepted.text
        product = accepted.json()["data"]
        assert product["poll_url"].startswith(f"{base}/api/v1/generations/"), product
        assert httpx.get(product["poll_url"], headers=headers).status_code == 200
        assert product["image_url"].startswith(f"{base}/storage/"), product
        assert httpx.get(product["image_url"]).status_code == 200
    finally:
        _stop(server)
