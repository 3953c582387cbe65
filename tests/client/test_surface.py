"""The SDK's public surface: what ``krev_client`` exports, a method for every public operation
of the OpenAPI document (the same in the sync and the async client), methods that take every
field of their operation's body and answer its models, the version, and the ``krev`` command
made of the installed packages' entry points."""

from __future__ import annotations

import inspect
import subprocess
import sys
import typing
from collections.abc import AsyncIterator, Callable, Iterator
from importlib.metadata import EntryPoint, entry_points, version
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from pydantic import BaseModel
from typer.testing import CliRunner

import krev_client
from krev_client import AsyncKrev, Krev, errors, models
from krev_client._resource import OPERATIONS_ATTRIBUTE, AsyncResource, SyncResource
from krev_client.cli import app as krev_command
from krev_client.cli import build_app
from tests.client.fake_api import KEY
from tests.client.openapi_doc import answer_schemas, body_schema, public_operations
from tests.client.test_models import SCHEMAS

EXPORTS = {
    "API_VERSION",
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AdResult",
    "AdStyle",
    "AsyncKrev",
    "AuthenticationError",
    "BadRequestError",
    "Capabilities",
    "ChatQueued",
    "ConflictError",
    "Conversation",
    "ConversionEvent",
    "ConversionEventRecord",
    "ConversionsAccepted",
    "CreditUsage",
    "Credits",
    "DeletedGeneration",
    "DeletedProduct",
    "Generation",
    "GenerationCancelled",
    "GenerationFailed",
    "ImageResult",
    "InsufficientCreditsError",
    "InternalServerError",
    "JobAccepted",
    "Krev",
    "KrevError",
    "LedgerEntry",
    "MethodNotAllowedError",
    "NotFoundError",
    "NotGiven",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "Preset",
    "Product",
    "ProductAccepted",
    "RangeNotSatisfiableError",
    "RateLimitError",
    "Retries",
    "Run",
    "RunCancelled",
    "RunFailed",
    "ServerError",
    "ServiceUnavailableError",
    "Taxonomy",
    "UnprocessableEntityError",
    "UnsupportedMediaTypeError",
    "VideoResult",
    "WaitTimeout",
    "__version__",
}
# A body field the method takes under another name.
RENAMED = {("products-upload", "image_url"): "source"}
SERVER_COMMANDS = {"serve", "worker", "migrate", "sweep", "admin"}


def methods(client: object) -> dict[str, Callable[..., Any]]:
    """Every public method of a client and its resources, by dotted path
    (``chat.runs.wait``)."""
    found: dict[str, Callable[..., Any]] = {}

    def walk(node: object, prefix: str) -> None:
        for name, _ in inspect.getmembers(type(node), inspect.isfunction):
            if not name.startswith("_"):
                found[prefix + name] = getattr(node, name)
        for name, value in vars(node).items():
            if isinstance(value, SyncResource | AsyncResource):
                walk(value, f"{prefix}{name}.")

    walk(client, "")
    return found


@pytest.fixture(scope="module")
def sync_methods() -> dict[str, Callable[..., Any]]:
    return methods(Krev(api_key=KEY))


@pytest.fixture(scope="module")
def async_methods() -> dict[str, Callable[..., Any]]:
    return methods(AsyncKrev(api_key=KEY))


def operations(found: dict[str, Callable[..., Any]]) -> dict[str, list[str]]:
    """Operation id: the methods that call it."""
    by_id: dict[str, list[str]] = {}
    for path, method in found.items():
        for operation_id in getattr(method, OPERATIONS_ATTRIBUTE, ()):
            by_id.setdefault(operation_id, []).append(path)
    return by_id


def test_exports() -> None:
    assert set(krev_client.__all__) == EXPORTS
    for name in krev_client.__all__:
        assert getattr(krev_client, name) is not None
    # Every error is exported at the top, every model from krev_client.models.
    raised = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.KrevError)
    }
    assert raised <= EXPORTS
    assert all(issubclass(getattr(models, name), BaseModel) for name in models.__all__)
    assert (Path(krev_client.__file__).parent / "py.typed").is_file()


def test_versioned_with_the_api() -> None:
    assert krev_client.__version__ == version("krev-client") == version("krev")
    assert krev_client.API_VERSION == "v1"


def test_every_public_operation_has_a_method(
    openapi: dict[str, Any],
    sync_methods: dict[str, Callable[..., Any]],
    async_methods: dict[str, Callable[..., Any]],
) -> None:
    public = set(public_operations(openapi))
    assert {"images-create", "chat-start", "credits-get", "capabilities-get"} <= public
    assert "keys-create" not in public and "auth-login" not in public  # the dashboard's
    assert set(operations(sync_methods)) == public
    assert set(operations(async_methods)) == public
    named = {
        "images.generate": "images-create",
        "videos.generate": "videos-create",
        "ads.generate": "ads-create",
        "ads.styles": "ads-styles",
        "presets.list": "images-presets",
        "products.upload": "products-upload",
        "products.list": "products-list",
        "products.get": "products-list",
        "products.update": "products-update",
        "products.delete": "products-delete",
        "generations.get": "generations-get",
        "generations.list": "generations-list",
        "generations.cancel": "generations-cancel",
        "generations.delete": "generations-delete",
        "generations.wait": "generations-get",
        "chat.send": "chat-start",
        "chat.runs.get": "chat-run",
        "chat.runs.wait": "chat-run",
        "chat.runs.cancel": "chat-cancel",
        "chat.conversations.list": "chat-conversations",
        "chat.conversations.get": "chat-conversation",
        "credits.get": "credits-get",
        "credits.usage": "credits-usage",
        "conversions.meta.send": "conversions-send",
        "conversions.meta.events": "conversions-list-events",
        "capabilities": "capabilities-get",
    }
    for path, operation_id in named.items():
        assert operation_id in getattr(sync_methods[path], OPERATIONS_ATTRIBUTE), path


def test_the_async_client_mirrors_the_sync_one(
    sync_methods: dict[str, Callable[..., Any]], async_methods: dict[str, Callable[..., Any]]
) -> None:
    assert set(sync_methods) == set(async_methods)
    for path, method in sync_methods.items():
        mirror = async_methods[path]
        ours, theirs = inspect.signature(method), inspect.signature(mirror)
        assert ours.parameters == theirs.parameters, path
        returns = str(ours.return_annotation)
        if returns.startswith("Iterator["):
            assert theirs.return_annotation == "Async" + returns, path
            assert not inspect.iscoroutinefunction(mirror), path
        else:
            assert theirs.return_annotation == ours.return_annotation, path
            assert inspect.iscoroutinefunction(mirror), path
        assert getattr(method, OPERATIONS_ATTRIBUTE, ()) == getattr(
            mirror, OPERATIONS_ATTRIBUTE, ()
        ), path


def _models_of(annotation: Any) -> set[type]:
    """The classes a return annotation can hand back (through unions, lists, iterators)."""
    args = typing.get_args(annotation)
    if args:
        return set().union(*(_models_of(arg) for arg in args))
    return {annotation} if isinstance(annotation, type) else set()


def test_methods_take_their_body_and_answer_its_models(
    openapi: dict[str, Any], sync_methods: dict[str, Callable[..., Any]]
) -> None:
    public = public_operations(openapi)
    by_schema = {schema: model for model, schema in SCHEMAS.items()}
    for path, method in sync_methods.items():
        parameters = set(inspect.signature(method).parameters)
        hints = typing.get_type_hints(method)
        returned = _models_of(hints["return"])
        for operation_id in getattr(method, OPERATIONS_ATTRIBUTE, ()):
            operation = public[operation_id]
            body = body_schema(operation)
            if body is not None:
                fields = {RENAMED.get((operation_id, f), f) for f in by_schema[body].model_fields}
                assert fields <= parameters, f"{path} lacks {fields - parameters}"
            if returned == {bytes}:
                continue  # a picture, not JSON
            for schema in answer_schemas(openapi, operation):
                model = by_schema[schema]
                assert any(issubclass(model, r) for r in returned), f"{path}: {schema}"
            origin = typing.get_origin(hints["return"])
            if origin in (Iterator, AsyncIterator):  # a list: its filters are arguments
                query = {p["name"] for p in operation.get("parameters", []) if "name" in p}
                assert query - {"cursor", "id"} <= parameters, path


def test_the_krev_command_is_the_clients_with_the_servers_commands() -> None:
    installed = {point.name for point in entry_points(group="krev.cli")}
    assert installed >= SERVER_COMMANDS
    runner = CliRunner()
    shown = runner.invoke(krev_command, ["--help"])
    assert shown.exit_code == 0, shown.output
    assert all(name in shown.output for name in SERVER_COMMANDS)
    assert runner.invoke(krev_command, ["--version"]).output.startswith(
        f"krev-client {krev_client.__version__}"
    )
    # The console script, as `make run` starts it.
    script = Path(sys.executable).with_name("krev")
    done = subprocess.run(
        [script, "serve", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and "--port" in done.stdout, done.stderr


demo = typer.Typer(help="A demo group.")


@demo.command()
def hello() -> None:
    typer.echo("hello")


def register_ping(root: typer.Typer) -> None:
    @root.command()
    def ping() -> None:
        typer.echo("pong")


def test_entry_points_add_groups_or_register_commands_and_a_broken_one_costs_only_its_own(
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = __name__
    app = build_app(
        [
            EntryPoint("demo", f"{module}:demo", "krev.cli"),
            EntryPoint("ping", f"{module}:register_ping", "krev.cli"),
            EntryPoint("broken", "krev_no_such_module:app", "krev.cli"),
        ]
    )
    assert "krev_no_such_module" in capsys.readouterr().err
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "hello"]).output == "hello\n"
    assert runner.invoke(app, ["ping"]).output == "pong\n"


def test_an_injected_transport_carries_every_request() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"success": True, "data": []})

    with Krev(
        api_key=KEY, base_url="http://krev.test", transport=httpx.MockTransport(handler)
    ) as c:
        assert c.presets.list() == []
        assert list(c.products.list(limit=5)) == []
        assert "sk_live" not in repr(c)
    assert [str(r.url) for r in seen] == [
        "http://krev.test/api/v1/presets",
        "http://krev.test/api/v1/products?limit=5",
    ]
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"
    assert seen[0].headers["user-agent"].startswith(f"krev-client-python/{krev_client.__version__}")
    assert "idempotency-key" not in seen[0].headers

    async def main() -> None:
        transport = httpx.MockTransport(handler)
        async with AsyncKrev(api_key=KEY, base_url="http://krev.test/", transport=transport) as c:
            assert await c.ads.styles() == []

    import asyncio

    asyncio.run(main())
    assert str(seen[-1].url) == "http://krev.test/api/v1/ads/styles"
