"""The ``krev`` command's client commands against a live server: the real console script for
the end-to-end path (login, then a render saved to disk), the rest in-process through Typer's
``CliRunner`` (the same app the script runs), each with its own HOME and config directory.

The server here signs its output URLs for its own address (its public URL is the live
server's), so the command downloads them as it would from a real deployment.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from typer.testing import CliRunner, Result

from krev.composition import build_runtime
from krev_client import Krev, Product
from krev_client.cli import app
from krev_client.commands import config_file
from krev_client.commands.exit_codes import DESCRIPTIONS, ExitCode
from tests.catalog.conftest import photo_bytes
from tests.client.conftest import Live, live_settings
from tests.conftest import Account
from tests.support.live_server import LiveServer, bound_socket
from tests.support.pipelines import gate

BLUE_BOX, GREEN_BOX = 4, 5
CONCEPTS = "Make three ad concepts for this product and include image ideas"
README = Path(__file__).parents[2] / "clients" / "python" / "README.md"
SCRIPT = Path(sys.executable).with_name("krev")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    """tests/client's live server, with its own address as its public URL."""
    data_dir = tmp_path_factory.mktemp("cli") / "data"
    data_dir.mkdir()
    shutil.copy(sqlite_template, data_dir / "krev.db")
    sock = bound_socket()
    address = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        settings = live_settings(
            data_dir, f"sqlite:///{data_dir / 'krev.db'}", public_base_url=address
        )
        runtime = build_runtime(settings)
    except BaseException:
        sock.close()
        raise
    with LiveServer.for_runtime(runtime, sock) as server:
        assert server.url == address
        yield Live(server, runtime)


@pytest.fixture(scope="module")
def owner(live: Live) -> Account:
    """An account with a product, shared by the tests that render with it."""
    return live.account()


@pytest.fixture(scope="module")
def product(live: Live, owner: Account) -> Product:
    with live.client(owner) as client:
        return client.products.upload(photo_bytes(BLUE_BOX), name="Blue box")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


def environment(home: Path, **values: str | None) -> dict[str, str | None]:
    """A user's environment: their own HOME and config directory, no key unless given."""
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "KREV_API_KEY": None,
        "KREV_BASE_URL": None,
        # Wide enough that Rich's error panel never cuts a long temporary path short.
        "COLUMNS": "400",
        **values,
    }


def krev(*args: str, env: dict[str, str | None], input: str | None = None) -> Result:
    """``krev ARGS`` in-process."""
    result = CliRunner().invoke(app, list(args), env=env, input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def as_user(live: Live, account: Account, home: Path) -> dict[str, str | None]:
    """``account``'s environment: its key and the live server in KREV_API_KEY and
    KREV_BASE_URL."""
    return environment(home, KREV_API_KEY=account.key, KREV_BASE_URL=live.url)


def webp(path: Path) -> None:
    with Image.open(path) as image:
        assert image.format == "WEBP"
        image.load()


# --- end to end: the console script ----------------------------------------------------------


def test_login_then_images_saved_to_disk_through_the_console_script(
    live: Live, owner: Account, product: Product, home: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config")}
    env.pop("KREV_API_KEY", None)
    env.pop("KREV_BASE_URL", None)
    env.pop("FORCE_COLOR", None)

    login = subprocess.run(
        [SCRIPT, "login", "--api-key", owner.key, "--base-url", live.url],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert login.returncode == 0, login.stderr
    assert owner.key not in login.stdout + login.stderr
    config = home / "config" / "krev" / "config.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    assert tomllib.loads(config.read_text()) == {"api_key": owner.key, "base_url": live.url}

    out = tmp_path / "shots"
    render = ["images", "on dark marble", "--product", product.id, "--count", "2", "--json"]
    images = subprocess.run(
        [SCRIPT, *render, "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,  # no key: the one login saved
        timeout=120,
        check=False,
    )
    assert images.returncode == 0, images.stderr
    result = json.loads(images.stdout)
    assert result["image_count"] == 2 and result["credits_used"] == 80
    saved = sorted(out.iterdir())
    assert [p.name for p in saved] == [f"{result['generation_id']}-{n}.webp" for n in (1, 2)]
    for path in saved:
        webp(path)


# --- login, the config file, the key's resolution ----------------------------------------------


def test_login_asks_for_the_key_checks_it_and_the_key_resolves_option_env_then_file(
    live: Live, account: Account, home: Path
) -> None:
    env = environment(home)
    config = home / "config" / "krev" / "config.toml"

    refused = krev("login", "--base-url", live.url, env=env, input="sk_live_" + "x" * 38 + "\n")
    assert refused.exit_code == ExitCode.AUTH, refused.output
    assert "Error:" in refused.stderr and not config.exists()

    saved = krev("login", "--base-url", live.url + "/api/v1", env=env, input=account.key + "\n")
    assert saved.exit_code == 0, saved.output
    assert account.key not in saved.output and str(config) in saved.stdout
    assert stat.S_IMODE(config.stat().st_mode) == 0o600

    assert json.loads(krev("credits", "--json", env=env).stdout)["plan"] == "pro"
    stranger = {**env, "KREV_API_KEY": "sk_live_" + "y" * 38}
    assert krev("credits", env=stranger).exit_code == ExitCode.AUTH  # the environment wins
    mine = krev("credits", "--api-key", account.key, env=stranger)
    assert mine.exit_code == 0 and "Plan:" in mine.stdout  # the option wins over both

    assert "Logged out" in krev("logout", env=env).stdout
    assert not config.exists()
    missing = krev("credits", env=env)
    assert missing.exit_code == ExitCode.AUTH and "krev login" in missing.stderr
    assert krev("logout", env=env).exit_code == 0


def test_the_config_file_keeps_any_key_and_names_its_own_faults(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/config")  # ignored, as XDG asks
    path = config_file.config_path()
    assert path == home / ".config" / "krev" / "config.toml"

    odd = config_file.Profile(api_key='sk_"quoted"\\back\x01\x7fé', base_url="http://[::1]:8000")
    assert config_file.save(odd) == path
    assert config_file.load() == odd
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and not capsys.readouterr().err
    path.chmod(0o644)
    config_file.load()
    assert "chmod 600" in capsys.readouterr().err

    path.write_text("api_key = [unclosed")
    broken = krev("credits", env=environment(home, XDG_CONFIG_HOME=None))
    assert broken.exit_code == ExitCode.USAGE and str(path) in broken.stderr


# --- products ------------------------------------------------------------------------------


def test_products_upload_two_files_then_ls_get_rm(
    live: Live, account: Account, home: Path, tmp_path: Path
) -> None:
    env = as_user(live, account, home)
    photos = [tmp_path / "blue-box.png", tmp_path / "green-box.png"]
    for path, index in zip(photos, (BLUE_BOX, GREEN_BOX), strict=True):
        path.write_bytes(photo_bytes(index))

    # On a terminal (FORCE_COLOR makes stderr one), a progress bar a file on stderr.
    uploaded = krev("products", "upload", *map(str, photos), env={**env, "FORCE_COLOR": "1"})
    assert uploaded.exit_code == 0, uploaded.output
    assert "blue-box.png" in uploaded.stderr and "green-box.png" in uploaded.stderr

    listed = json.loads(krev("products", "ls", "--json", env=env).stdout)
    assert len(listed) == 2 and {p["status"] for p in listed} == {"ready"}
    table = krev("products", "ls", env=env).stdout
    assert all(p["id"] in table for p in listed)
    assert all(p["id"] in uploaded.stdout for p in listed)

    first = listed[0]["id"]
    shown = json.loads(krev("products", "get", first, "--json", env=env).stdout)
    assert shown["id"] == first and "brandName" in shown["metadata"]
    assert f"Deleted product {first}" in krev("products", "rm", first, env=env).stdout
    gone = krev("products", "get", first, env=env)
    assert gone.exit_code == ExitCode.NOT_FOUND and "Error:" in gone.stderr

    missing = krev("products", "upload", str(tmp_path / "nope.png"), env=env)
    assert missing.exit_code == ExitCode.USAGE and "nope.png" in missing.output


# --- renders, generations ------------------------------------------------------------------


def test_images_no_wait_then_generations_wait_get_ls(
    live: Live,
    owner: Account,
    product: Product,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = as_user(live, owner, home)
    queued = krev("images", "white sweep", "-p", product.id, "--no-wait", "--json", env=env)
    assert queued.exit_code == 0, queued.output
    generation_id = json.loads(queued.stdout)["generation_id"]

    waited = krev("generations", "wait", generation_id, "--out", str(tmp_path), env=env)
    assert waited.exit_code == 0, waited.output
    path = Path(waited.stdout.strip())
    assert path == tmp_path / f"{generation_id}-1.webp"
    webp(path)

    shown = json.loads(krev("generations", "get", generation_id, "--json", env=env).stdout)
    assert shown["status"] == "succeeded" and shown["progress"] == 100
    listed = krev("generations", "ls", "--kind", "image", "--json", env=env)
    assert generation_id in [g["id"] for g in json.loads(listed.stdout)]

    # Human output: the saved file's path, in the current directory by default.
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    made = krev("images", "studio", "--product", product.id, "--aspect-ratio", "16:9", env=env)
    assert made.exit_code == 0, made.output
    (name,) = made.stdout.split()
    webp(here / name)
    assert "40 credits used" in made.stderr


def test_chat_follow_prints_the_reply(
    live: Live, owner: Account, product: Product, home: Path
) -> None:
    env = as_user(live, owner, home)
    followed = krev("chat", CONCEPTS, "--product", product.id, "--agent", "asset", "-f", env=env)
    assert followed.exit_code == 0, followed.output
    with live.client(owner) as client:
        conversation = next(iter(client.chat.conversations.list()))
        messages = client.chat.conversations.get(conversation.id).messages or []
    reply = messages[-1]
    assert reply.role == "assistant" and reply.content
    assert followed.stdout.startswith(reply.content)


def test_credits(live: Live, home: Path) -> None:
    account = live.account(credits=1000)
    env = as_user(live, account, home)
    shown = krev("credits", env=env)
    assert shown.exit_code == 0 and "Plan:" in shown.stdout and "1,000" in shown.stdout
    data = json.loads(krev("credits", "--json", env=env).stdout)
    assert data["plan"] == "pro" and data["credits"]["current"] == 1000


# --- exit codes ----------------------------------------------------------------------------


def test_exit_codes_of_refusals(live: Live, account: Account, home: Path) -> None:
    env = as_user(live, account, home)

    stranger = krev("credits", env={**env, "KREV_API_KEY": "sk_live_" + "z" * 38})
    assert stranger.exit_code == ExitCode.AUTH and "401" in stranger.stderr

    missing = krev("products", "get", str(uuid.uuid4()), env=env)
    assert missing.exit_code == ExitCode.NOT_FOUND and "not_found" in missing.stderr

    poor = live.account(credits=0)
    with live.client(poor) as client:
        poor_product = client.products.upload(photo_bytes(GREEN_BOX))
    broke = krev("images", "on marble", "-p", poor_product.id, env=as_user(live, poor, home))
    assert broke.exit_code == ExitCode.NO_CREDITS, broke.output
    assert "insufficient_credits" in broke.stderr

    text_only = krev("images", "Premium leather wallet on dark marble surface", env=env)
    assert text_only.exit_code == ExitCode.INVALID and "subject_not_renderable" in text_only.stderr

    assert krev("images", "studio", "--count", "3", env=env).exit_code == ExitCode.USAGE


def test_exit_codes_of_a_failed_job_and_a_wait_that_runs_out(
    live: Live, account: Account, home: Path
) -> None:
    env = as_user(live, account, home)

    def submit(params: dict[str, Any]) -> str:
        response = httpx.post(
            f"{live.url}/api/v1/test-jobs",
            json={"params": params},
            headers={**account.headers, "Prefer": "respond-async"},
        )
        assert response.status_code == 202, response.text
        return str(response.json()["data"]["generation_id"])

    failed = krev("generations", "wait", submit({"fail": True}), env=env)
    assert failed.exit_code == ExitCode.JOB_FAILED and "test_failure" in failed.stderr

    held = gate()
    running = submit({"gate": held.name})
    try:
        late = krev("generations", "wait", running, "--timeout", "0", env=env)
        assert late.exit_code == ExitCode.TIMED_OUT, late.output
        assert f"krev generations wait {running}" in late.stderr
    finally:
        held.open()
    with Krev(api_key=account.key, base_url=live.url) as client:
        assert client.generations.wait(running, timeout=30).status == "succeeded"


def test_exit_codes_are_documented_in_the_help_and_the_readme(home: Path) -> None:
    shown = krev("--help", env={**environment(home), "COLUMNS": "200"})
    assert shown.exit_code == 0
    readme = README.read_text()
    for code, description in DESCRIPTIONS.items():
        assert f"{int(code):>3}  {description}" in shown.stdout
        assert f"| {int(code)} |" in readme
    assert "images" in shown.stdout and "serve" in shown.stdout


def test_videos_and_ads_are_rendered_and_saved(
    live: Live, owner: Account, product: Product, home: Path, tmp_path: Path
) -> None:
    env = as_user(live, owner, home)
    video = krev(
        "videos", "slow push in", "-p", product.id, "-d", "4", "-a", "1:1",
        "--out", str(tmp_path), "--json", env=env,
    )  # fmt: skip
    assert video.exit_code == 0, video.output
    data = json.loads(video.stdout)
    saved = tmp_path / f"{data['generation_id']}-1.mp4"
    assert saved.read_bytes()[4:8] == b"ftyp"  # an MP4 on disk

    ad = krev(
        "ads", "20% off this week", "-p", product.id, "--style", "bold_offer",
        "--out", str(tmp_path), "--json", env=env,
    )  # fmt: skip
    assert ad.exit_code == 0, ad.output
    data = json.loads(ad.stdout)
    assert data["ad_copy"]["style_name"] and data["image_count"] == 1
    webp(tmp_path / f"{data['generation_id']}-1.webp")


def test_a_server_that_cannot_be_reached_exits_10(home: Path) -> None:
    with bound_socket() as sock:  # a port nothing listens on
        address = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env = environment(home, KREV_API_KEY="sk_live_" + "x" * 40, KREV_BASE_URL=address)
    answered = krev("credits", env=env)
    assert answered.exit_code == ExitCode.SERVER, answered.output
    assert "Error:" in answered.stderr
