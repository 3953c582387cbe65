"""The server's commands of ``krev``: serve, worker, migrate, sweep and admin tasks.

The ``krev`` command itself is krev-client's (``krev_client.cli``); it loads these through
the entry-point group ``krev.cli`` (pyproject.toml): the ``admin`` group as it is, and each
top-level command through its ``register_…`` function. ``app`` holds them all, for tests and
``python -m krev.cli``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console

from krev.platform.config import Settings
from krev.platform.private_files import private_dir

app = typer.Typer(help="Krev API server, workers and administration.", no_args_is_help=True)
admin = typer.Typer(help="Administer users, keys and credits.", no_args_is_help=True)
app.add_typer(admin, name="admin")
console = Console(stderr=True)


def _settings() -> Settings:
    from krev.providers import registry

    try:
        settings = Settings()
        registry.check(settings)  # an unknown engine or a missing setting, named
        return settings
    except Exception as error:
        console.print(f"[red]Configuration error:[/red] {error}")
        raise typer.Exit(2) from None


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from krev.platform.migrate import upgrade

    settings = _settings()
    if settings.is_sqlite:
        private_dir(settings.data_dir)
    upgrade(settings.resolved_database_url)
    console.print("Database is up to date.")


def _serve_settings(host: str | None, port: int | None) -> Settings:
    """The settings `krev serve` runs with: --host and --port win over KREV_HOST and KREV_PORT.

    They are put in the environment because every API process uvicorn starts builds its own
    settings from it, and the served address is the default public URL (signed URLs, poll
    URLs) unless KREV_PUBLIC_BASE_URL says otherwise.
    """
    if host is not None:
        os.environ["KREV_HOST"] = host
    if port is not None:
        os.environ["KREV_PORT"] = str(port)
    return _settings()


def _bootstrap(settings: Settings) -> None:
    from krev.accounts.service import bootstrap_admin
    from krev.platform.db import Database

    db = Database(settings.resolved_database_url, pool_size=1)
    try:
        with db.transaction() as session:
            created = bootstrap_admin(session, settings)
    finally:
        db.dispose()
    if created is None:
        return
    # Plain lines, not a panel: the curl command must survive copy and paste unwrapped.
    # Nor markup: an IPv6 URL's [address] would read as a style tag.
    out = Console(soft_wrap=True, highlight=False, markup=False)
    out.print("[bold]Krev first start[/bold]: shown once, keep it safe.", markup=True)
    out.print(f"  Dashboard:            {settings.base_url}/dashboard")
    out.print(f"  Dashboard login:      {created.email} / {created.password}")
    out.print(f"  API key (all scopes): {created.api_key}")
    out.print("Try it:")
    out.print(
        f"  curl {settings.base_url}/api/v1/credits -H 'Authorization: Bearer {created.api_key}'"
    )


def _announce(settings: Settings) -> None:
    """Where to go, on every start: uvicorn's own startup lines are below our log level."""
    bind = f"[{settings.host}]" if ":" in settings.host else settings.host
    base = settings.base_url
    Console(soft_wrap=True, highlight=False, markup=False).print(
        f"Krev is listening on {bind}:{settings.port}: API {base}/api/v1 "
        f"(docs {base}/api/v1/docs), dashboard {base}/dashboard"
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    processes: Annotated[int | None, typer.Option(help="API processes.")] = None,
    migrate_first: Annotated[
        bool | None,
        typer.Option("--migrate/--no-migrate", help="Migrate first (default: embedded only)."),
    ] = None,
) -> None:
    """Run the API (and, unless KREV_EMBEDDED_WORKERS=0, worker threads in-process)."""
    import uvicorn

    from krev.platform.migrate import upgrade

    settings = _serve_settings(host, port)
    if migrate_first if migrate_first is not None else settings.is_sqlite:
        if settings.is_sqlite:
            private_dir(settings.data_dir)
        upgrade(settings.resolved_database_url)
    _ = settings.secret  # create the development secret once, before processes fork
    _bootstrap(settings)
    _announce(settings)
    uvicorn.run(
        "krev.app:app_factory",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=processes or settings.api_processes,
        log_level="warning",
        access_log=False,
        # The client's address is read from X-Forwarded-For by Krev itself, and only from the
        # peers in KREV_TRUSTED_PROXIES (krev.platform.client_address); uvicorn's own rewrite would
        # trust any local peer's header.
        proxy_headers=False,
    )


@app.command()
def worker(
    threads: Annotated[int | None, typer.Option(help="Worker threads.")] = None,
) -> None:
    """Run a job worker: takes generations off the queue until stopped (SIGTERM is graceful)."""
    from krev.composition import build_janitor, build_runtime
    from krev.platform.observability import configure_logging
    from krev.platform.workers import run_worker

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    runtime = build_runtime(settings)
    run_worker(runtime, build_janitor(runtime), threads or settings.worker_threads)


@app.command()
def sweep() -> None:
    """Run every janitor duty once: settle lost and overdue jobs, re-send lost deliveries,
    purge expired idempotency keys, delete generations past KREV_OUTPUT_RETENTION_DAYS (workers
    also do this continuously)."""
    from krev.composition import build_janitor, build_runtime

    runtime = build_runtime(_settings())
    try:
        done = build_janitor(runtime).sweep()
    finally:
        runtime.close()
    console.print(", ".join(f"{name}: {count}" for name, count in done.items()))


@app.command()
def mcp(
    stdio: Annotated[
        bool, typer.Option("--stdio", help="Serve MCP on standard input and output.")
    ] = False,
) -> None:
    """Run the MCP server over stdio for a local MCP client (docs/mcp.md): its tools call the
    Krev API at KREV_BASE_URL (default http://127.0.0.1:8000) with KREV_API_KEY. Over HTTP,
    every API process serves MCP at /mcp."""
    from krev.mcp.server import MissingApiKey, run_stdio, stdio_source

    if not stdio:
        console.print("Give --stdio: over HTTP, MCP is served by the API processes at /mcp.")
        raise typer.Exit(2)
    try:
        source = stdio_source()
    except MissingApiKey as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    run_stdio(source)


@admin.command("create-user")
def create_user(
    email: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, help="Password.")],
    plan: Annotated[
        str | None, typer.Option(help="Plan id (free, starter, pro, business).")
    ] = None,
    is_admin: Annotated[bool, typer.Option("--admin/--no-admin")] = False,
) -> None:
    """Create a user with a plan; the plan's monthly credits are granted now."""
    from krev.accounts import service

    settings = _settings()
    with _admin_transaction(settings) as session:
        user = service.create_user(session, settings, email, password, plan, is_admin=is_admin)
        console.print(f"Created {user.email} on plan {user.plan} ({user.credits_balance} credits).")


@admin.command("set-password")
def set_password(email: str) -> None:
    """Set a user's dashboard password and log out all their dashboard sessions.

    The password is asked for twice at a terminal; otherwise it is the first line of standard
    input (echo … | krev admin set-password EMAIL), so it never shows in the process list.
    """
    from krev.accounts import service

    settings = _settings()
    if sys.stdin.isatty():
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with _admin_transaction(settings) as session:
        user = service.find_user(session, email)
        ended = service.set_password(session, settings, user, password)
    sessions = f"{ended} dashboard session{'' if ended == 1 else 's'}"
    console.print(f"{user.email}: password changed, {sessions} logged out.")


@admin.command("create-key")
def create_key(
    email: str,
    name: Annotated[str, typer.Option(help="Key label.")] = "CLI key",
    scopes: Annotated[
        str | None, typer.Option(help="Comma-separated scopes (default: all).")
    ] = None,
) -> None:
    """Create an API key for a user and print only the key."""
    from pydantic import ValidationError

    from krev.accounts import service
    from krev.accounts.schemas import KeyCreate
    from krev.kit.validation import describe_validation_error

    settings = _settings()
    # An empty --scopes is a list of no scopes (refused below), not a request for the default.
    chosen = [s.strip() for s in scopes.split(",") if s.strip()] if scopes is not None else None
    try:
        body = KeyCreate(name=name, **({"scopes": chosen} if chosen is not None else {}))
    except ValidationError as error:
        console.print(f"[red]{describe_validation_error(error.errors())}[/red]")
        raise typer.Exit(1) from None
    with _admin_transaction(settings) as session:
        user = service.find_user(session, email)
        _, key = service.create_key(session, settings, user.id, body.name, body.scopes)
    typer.echo(key)


# Click reads any word starting with "-" as an option; letting unknown ones through as
# arguments is what makes a negative AMOUNT (-150) an argument. A mistyped option still fails,
# as an unexpected extra argument.
@admin.command("grant-credits", context_settings={"ignore_unknown_options": True})
def grant_credits(
    email: str,
    amount: Annotated[int, typer.Argument(help="Credits to add; negative to remove.")],
    note: Annotated[str | None, typer.Option(help="Why, for the ledger.")] = None,
) -> None:
    """Add (or with a negative amount, remove) credits, recorded in the ledger."""
    from krev.accounts import service
    from krev.billing.service import grant_credits as grant
    from krev.models import Cause

    settings = _settings()
    with _admin_transaction(settings) as session:
        user = service.find_user(session, email)
        balance = grant(session, user.id, amount, note or "granted by admin", cause=Cause.admin())
    console.print(f"{email}: balance is now {balance:,} credits.")


@admin.command("meta-config")
def meta_config(
    email: str,
    pixel_id: Annotated[str | None, typer.Option(help="Meta pixel (dataset) id.")] = None,
    access_token: Annotated[
        str | None,
        typer.Option(help="Conversions API access token (prompted for when omitted)."),
    ] = None,
    test_event_code: Annotated[
        str | None, typer.Option(help="Send events to Meta's Test Events tool.")
    ] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the configuration.")] = False,
) -> None:
    """Set (or --remove) a user's Meta pixel for POST /api/v1/conversions/meta."""
    from pydantic import ValidationError

    from krev.accounts import service
    from krev.conversions import service as conversions
    from krev.conversions.schemas import MetaConfigIn
    from krev.kit.validation import describe_validation_error

    settings = _settings()
    if remove:
        with _admin_transaction(settings) as session:
            user = service.find_user(session, email)
            removed = conversions.delete_config(session, user.id)
        console.print(f"{email}: Meta pixel {'removed' if removed else 'was not configured'}.")
        return
    if pixel_id is None:
        console.print("[red]Give --pixel-id (or --remove).[/red]")
        raise typer.Exit(1)
    if access_token is None:
        access_token = typer.prompt("Access token", hide_input=True)
    try:
        body = MetaConfigIn(
            pixel_id=pixel_id, access_token=access_token, test_event_code=test_event_code
        )
    except ValidationError as error:
        console.print(f"[red]{describe_validation_error(error.errors())}[/red]")
        raise typer.Exit(1) from None
    with _admin_transaction(settings) as session:
        user = service.find_user(session, email)
        config = conversions.put_config(
            session,
            settings,
            user.id,
            pixel_id=body.pixel_id,
            access_token=body.access_token,
            test_event_code=body.test_event_code,
        )
        view = conversions.config_view(config)
    console.print(f"{email}: Meta pixel {view['pixel_id']}, token {view['access_token_hint']}.")


class _admin_transaction:  # noqa: N801 - reads as a context manager name
    def __init__(self, settings: Settings) -> None:
        from krev.platform.db import Database
        from krev.platform.readcache import ReadCache
        from krev.platform.runtime import change_feed

        self.db = Database(settings.resolved_database_url, pool_size=1)
        # A grant or a revocation here must reach the running API processes' caches.
        self.changes = change_feed(settings, ReadCache(ttl=0))
        self.db.announce = self.changes.announce if self.changes is not None else None

    def __enter__(self):  # type: ignore[no-untyped-def]
        self._cm = self.db.transaction()
        return self._cm.__enter__()

    def __exit__(self, *exc_info):  # type: ignore[no-untyped-def]
        from krev.errors import KrevError

        try:
            self._cm.__exit__(*exc_info)
        finally:
            self.db.dispose()
            if self.changes is not None:
                self.changes.close()
        if exc_info[1] is not None and isinstance(exc_info[1], KrevError):
            console.print(f"[red]{exc_info[1].message}[/red]")
            raise typer.Exit(1)
        return False


# --- entry points of the `krev.cli` group ------------------------------------------------------


def _registrar(name: str) -> Callable[[typer.Typer], None]:
    """A function that adds this module's top-level command ``name`` to another app, exactly
    as ``app`` has it (its help and options)."""
    (command,) = [
        info
        for info in app.registered_commands
        if (info.name or getattr(info.callback, "__name__", "")) == name
    ]

    def register(root: typer.Typer) -> None:
        root.registered_commands.append(command)

    register.__doc__ = f"Add `krev {name}` to ``root``."
    return register


register_serve = _registrar("serve")
register_worker = _registrar("worker")
register_migrate = _registrar("migrate")
register_sweep = _registrar("sweep")
register_mcp = _registrar("mcp")


if __name__ == "__main__":
    app()
