"""Meta Conversions in the embedded mode (``krev serve``: SQLite, Huey's SQLite queue, worker
threads in the API process) against the fake Graph API on 127.0.0.1. Two measures:

- accepting: single events POSTed over keep-alive connections for a fixed time, each with
  its own event_id; ``Prefer: respond-async`` (202 queued: validated, hashed, written to the
  outbox, delivery enqueued after commit) and the default (200 sent: delivered to the fake
  Graph API before answering). Only answers of the expected status count. Target ≥ 500/s
  for the first.
- delivering: 10,000 events already in the outbox (written by the conversion service in
  batches of 1000, as ten batch requests would, held back by a claim), released at once and
  one delivery task enqueued; timed until the last is recorded as sent, and the fake server
  must have received each once.

``python -m bench.conversions`` runs this part alone and prints its section.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import func, select
from tests.support.fake_graph import FakeGraph

from bench.deployments import EMAIL, as_env, create_bench_user, setting_values
from bench.load import read_response
from bench.processes import KREV, ProcessGroup, clean_env, cpu_seconds, free_port, run_cli
from krev.composition import build_runtime
from krev.conversions import service
from krev.conversions.delivery import DELIVER_CONVERSIONS
from krev.conversions.events import parse_body
from krev.conversions.repository import ConversionEventRepository
from krev.models import ConversionEvent
from krev.platform.config import Settings
from krev.platform.runtime import Runtime

PIXEL_ID = "1234567890123456"
ACCESS_TOKEN = "EAAGbenchaccesstoken0000"  # the fake server's, not a secret
ACCEPT_TARGET = 500.0  # events/s, issue 5
DELIVER_EVENTS = 10_000


@dataclass(frozen=True)
class AcceptRow:
    measure: str
    expected_status: int
    accepted: int
    other: int  # answers of any other status, and socket errors
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_event: float = 0.0  # the API process's CPU time over the run, per accepted

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    @property
    def cpu_bound_per_second(self) -> float:
        """What one API process could accept with a core to itself."""
        return 1e6 / self.cpu_us_per_event if self.cpu_us_per_event else 0.0


@dataclass(frozen=True)
class DeliverRow:
    events: int
    sent: int
    received_by_graph: int
    graph_requests: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


@dataclass
class ConversionsResults:
    connections: int
    duration: float
    accepting: list[AcceptRow]
    delivering: DeliverRow | None
    graph_problems: int


def _event_body(event_id: str) -> bytes:
    event = {
        "event_name": "Purchase",
        "event_time": int(time.time()) - 60,
        "event_id": event_id,
        "action_source": "website",
        "event_source_url": "https://shop.example.com/products/wallet",
        "user_data": {
            "email": f"buyer-{event_id}@example.com",
            "phone": "+1 (650) 555-1212",
            "client_user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
            "client_ip_address": "203.0.113.7",
        },
        "custom_data": {"currency": "USD", "value": 79.0},
    }
    return json.dumps(event).encode()


async def _post_load(
    url: str, key: str, prefer_async: bool, duration: float, conns: int, expected: int
) -> AcceptRow:
    """Keep-alive POSTs, each event new (a repeat would be deduplicated, not measured)."""
    parts = urlsplit(url)
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        + ("Prefer: respond-async\r\n" if prefer_async else "")
    )
    latencies: list[float] = []
    counts = {"other": 0}
    run = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    stop_at = started + duration

    async def connection(number: int) -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        sequence = 0
        try:
            while time.perf_counter() < stop_at:
                sequence += 1
                body = _event_body(f"{run}-{number}-{sequence}")
                request = f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
                sent = time.perf_counter()
                writer.write(request)
                if await read_response(reader) == expected:
                    latencies.append(time.perf_counter() - sent)
                else:
                    counts["other"] += 1
        except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
            counts["other"] += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection(n) for n in range(conns)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> float:
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return AcceptRow(
        "respond-async (202 queued)" if prefer_async else "default (200 sent)",
        expected,
        len(latencies),
        counts["other"],
        elapsed,
        percentile(50),
        percentile(99),
    )


def _count_sent(runtime: Runtime) -> int:
    with runtime.db.transaction(write=False) as session:
        stmt = select(func.count()).where(ConversionEvent.status == "sent")
        return int(session.scalar(stmt) or 0)


def _deliver_backlog(runtime: Runtime, graph: FakeGraph, user_id: uuid.UUID) -> DeliverRow:
    before_sent = _count_sent(runtime)
    before_requests = len(graph.batches)
    before_received = len(graph.events())
    run = uuid.uuid4().hex[:8]
    # Stored claimed, as if by a process that stopped before sending, so no worker starts
    # early; released all at once when the clock starts.
    tokens = []
    for offset in range(0, DELIVER_EVENTS, 1000):
        data = [json.loads(_event_body(f"backlog-{run}-{offset + i}")) for i in range(1000)]
        batch = parse_body({"data": data}, time.time())
        with runtime.db.transaction() as session:
            accepted = service.accept_events(session, user_id, batch, claim_seconds=3600)
        tokens.append(accepted.claim_token)
    started = time.perf_counter()
    with runtime.db.transaction() as session:
        repo = ConversionEventRepository(session)
        for token in tokens:
            assert token is not None
            repo.finish_claimed(token, claim_token=None, claimed_until=None)
    runtime.queue.enqueue(DELIVER_CONVERSIONS, str(user_id))
    deadline = started + 600
    sent = 0
    while time.perf_counter() < deadline:
        sent = _count_sent(runtime) - before_sent
        if sent >= DELIVER_EVENTS:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    return DeliverRow(
        DELIVER_EVENTS,
        sent,
        len(graph.events()) - before_received,
        len(graph.batches) - before_requests,
        elapsed,
    )


@contextmanager
def _embedded(workdir: Path, graph: FakeGraph) -> Iterator[tuple[str, str, Runtime, int]]:
    data_dir = workdir / "conversions"
    data_dir.mkdir(parents=True)
    port = free_port()
    values = setting_values(data_dir, port, embedded_workers=2, meta_graph_url=graph.url)
    env = clean_env(as_env(values))
    key = create_bench_user(env)
    run_cli(
        ["admin", "meta-config", EMAIL, "--pixel-id", PIXEL_ID, "--access-token", ACCESS_TOKEN],
        env,
    )
    with ProcessGroup(workdir) as processes:
        api = processes.start("conversions-api", [KREV, "serve"], env)
        base_url = f"http://127.0.0.1:{port}"
        processes.wait_healthy("conversions-api", base_url)
        runtime = build_runtime(Settings(**values))
        try:
            yield base_url, key, runtime, api.pid
        finally:
            runtime.close()


def run(
    workdir: Path, duration: float = 10.0, warmup: float = 2.0, connections: int = 8
) -> ConversionsResults:
    from krev.accounts.service import find_user

    with (
        FakeGraph(tokens={PIXEL_ID: ACCESS_TOKEN}) as graph,
        _embedded(workdir, graph) as (base_url, key, runtime, api_pid),
    ):
        url = f"{base_url}/api/v1/conversions/meta"
        rows = []
        for prefer_async, expected in ((True, 202), (False, 200)):
            asyncio.run(_post_load(url, key, prefer_async, warmup, connections, expected))
            cpu_before = cpu_seconds(api_pid)
            row = asyncio.run(_post_load(url, key, prefer_async, duration, connections, expected))
            cpu = cpu_seconds(api_pid) - cpu_before
            rows.append(replace(row, cpu_us_per_event=cpu * 1e6 / max(1, row.accepted)))
        with runtime.db.transaction(write=False) as session:
            user_id = find_user(session, EMAIL).id
        # Let the accepted events drain first, so the backlog is measured alone.
        _wait_idle(runtime)
        delivering = _deliver_backlog(runtime, graph, user_id)
        return ConversionsResults(connections, duration, rows, delivering, len(graph.problems))


def _wait_idle(runtime: Runtime, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with runtime.db.transaction(write=False) as session:
            stmt = select(func.count()).where(ConversionEvent.status == "queued")
            if not session.scalar(stmt):
                return
        time.sleep(0.1)


def conversions_section(results: ConversionsResults) -> list[str]:
    lines = [
        "",
        "## Meta Conversions (embedded mode, fake Graph API on 127.0.0.1)",
        "",
        f"Single events POSTed to `/api/v1/conversions/meta` over {results.connections} "
        f"keep-alive connections for {results.duration:g} s (after a warm-up), each with a new "
        "event_id, email + phone hashed, a website event with user agent and IP. "
        "*respond-async*: validated, stored in the outbox and delivery enqueued (202). "
        "*default*: also delivered to the fake Graph API before answering (200). "
        "The load generator, the server and its worker threads share the CPUs.",
        "",
        "| measure | accepted | other answers | seconds | events/s | p50 ms | p99 ms "
        "| API CPU µs/event | events/s on a free core |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in results.accepting:
        lines.append(
            f"| {row.measure} | {row.accepted} | {row.other} | {row.seconds:.1f} "
            f"| {row.per_second:,.0f} | {row.p50_ms:.1f} | {row.p99_ms:.1f} "
            f"| {row.cpu_us_per_event:,.0f} | {row.cpu_bound_per_second:,.0f} |"
        )
    d = results.delivering
    if d is not None:
        lines += [
            "",
            f"Delivering a backlog: {d.events:,} events in the outbox, released at once and one "
            f"delivery task enqueued: all sent in **{d.seconds:.2f} s** "
            f"({d.per_second:,.0f} events/s) in {d.graph_requests} Graph requests; the fake "
            f"server received {d.received_by_graph:,}.",
        ]
    return lines


def conversions_targets(results: ConversionsResults) -> list[str]:
    fast = results.accepting[0] if results.accepting else None
    met = fast is not None and fast.per_second >= ACCEPT_TARGET and fast.other == 0
    lines = [
        f"- conversions accepted (respond-async) ≥ {ACCEPT_TARGET:.0f} events/s, embedded: "
        + ("**met**" if met else "**missed**")
        + (f" ({fast.per_second:,.0f}/s)" if fast else "")
    ]
    d = results.delivering
    if d is not None:
        whole = d.sent == d.events and d.received_by_graph == d.events
        lines.append(
            f"- conversions backlog: all {d.events:,} delivered once: "
            + ("**met**" if whole else "**missed**")
            + " (no time target is set)"
        )
    lines.append(
        "- the fake Graph API found no payload problem: "
        + ("**met**" if results.graph_problems == 0 else "**missed**")
    )
    return lines


def main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="krev-bench-conversions-") as tmp:
        results = run(Path(tmp))
    print("\n".join([*conversions_section(results), "", *conversions_targets(results)]))


if __name__ == "__main__":
    main()
