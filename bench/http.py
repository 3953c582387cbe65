"""HTTP throughput and latency of Krev's read endpoints against a bare FastAPI app served
the same way, plus the API process's idle memory.

Every answer is checked twice: the load generator counts error statuses and socket
errors, and the server's own Prometheus counters say how many answers were not 200.

The ratio to the bare app is measured in pairs: the bare app stays up all along, and each of
our rows alternates short rounds of ours and the bare app's, so both see the same machine.
These shared machines drift (the same run measured the bare app anywhere from 65 to 270 µs
of CPU a request over one day), and a baseline taken minutes earlier moved the ratio by a
third between runs.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.deployments import Deployment
from bench.load import LoadGenerator, LoadResult, LoadSettings
from bench.processes import ProcessGroup, clean_env, cpu_seconds, free_port, rss_kib

BARE_ENDPOINTS = {"/bare": "bare FastAPI, async def", "/bare-sync": "bare FastAPI, def"}


@dataclass(frozen=True)
class HttpRow:
    mode: str
    endpoint: str
    result: LoadResult
    non_200: int  # load generator's error statuses + the server's non-200 count
    cpu_us_per_request: float  # the server process's CPU time over the measured run
    load_average: float  # 1-minute load average just before the run
    reference: bool = False  # shown for comparison, not judged against the target
    paired: Paired | None = None  # against the bare app, round by round (our rows only)


@dataclass(frozen=True)
class Paired:
    """Ours against the bare app in alternating rounds: the medians of the round ratios."""

    rounds: int
    ratio: float  # our req/s over the bare app's
    cpu_ratio: float  # the bare app's CPU per request over ours
    bare_rps: float  # the bare app's req/s over its rounds


@dataclass(frozen=True)
class BareServer:
    base_url: str
    pid: int

    @property
    def url(self) -> str:
        return f"{self.base_url}/bare"


@dataclass(frozen=True)
class BareRun:
    rows: list[HttpRow]
    idle_rss_kib: int

    def row(self, endpoint: str = "/bare") -> HttpRow:
        return next(r for r in self.rows if r.endpoint == endpoint)

    def rps(self, endpoint: str = "/bare") -> float:
        return self.row(endpoint).result.rps


def _load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _check_ok(url: str, headers: Mapping[str, str]) -> None:
    response = httpx.get(url, headers=dict(headers), timeout=10)
    if response.status_code != 200 or response.json().get("success") is not True:
        raise RuntimeError(f"GET {url} answered {response.status_code}: {response.text[:300]}")


def _server_counts(base_url: str, route: str) -> tuple[int, int]:
    """(answers on ``route`` that were 200, that were not), from the server's /metrics."""
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    ok = other = 0
    for family in text_string_to_metric_families(text):
        if family.name != "krev_http_requests":
            continue
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.labels.get("route") == route:
                if sample.labels.get("status") == "200":
                    ok += int(sample.value)
                else:
                    other += int(sample.value)
    return ok, other


@dataclass(frozen=True)
class _Measured:
    result: LoadResult
    cpu_us_per_request: float
    load_average: float


def _measure(
    generator: LoadGenerator,
    url: str,
    headers: Mapping[str, str],
    settings: LoadSettings,
    server_pid: int,
) -> _Measured:
    """A checked request, a warm-up whose numbers are dropped, then the measured run."""
    _check_ok(url, headers)
    load = _load_average()
    generator.run(url, headers, settings.warmup, settings.connections)
    result, cpu = _timed(
        generator, url, headers, settings.duration, settings.connections, server_pid
    )
    return _Measured(result, cpu, load)


@contextmanager
def bare_server(workdir: Path) -> Iterator[BareServer]:
    """The bare app, up for the whole HTTP benchmark (see the module docstring)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with ProcessGroup(workdir) as processes:
        server = processes.start(
            "bare",
            [sys.executable, "-m", "bench.bare_app", "--port", str(port)],
            clean_env({}),
        )
        processes.wait_healthy("bare", base_url)
        yield BareServer(base_url, server.pid)


def bench_bare(generator: LoadGenerator, settings: LoadSettings, bare: BareServer) -> BareRun:
    rss = _idle_rss(bare.pid, [f"{bare.base_url}{path}" for path in BARE_ENDPOINTS], {})
    rows = []
    for path, label in BARE_ENDPOINTS.items():
        run = _measure(generator, f"{bare.base_url}{path}", {}, settings, bare.pid)
        rows.append(
            HttpRow(
                label,
                path,
                run.result,
                run.result.bad_status,
                run.cpu_us_per_request,
                run.load_average,
            )
        )
    return BareRun(rows, rss)


def _timed(
    generator: LoadGenerator,
    url: str,
    headers: Mapping[str, str],
    seconds: float,
    connections: int,
    pid: int,
) -> tuple[LoadResult, float]:
    """One run and the server's CPU µs per request over it."""
    cpu_before = cpu_seconds(pid)
    result = generator.run(url, headers, seconds, connections)
    return result, (cpu_seconds(pid) - cpu_before) * 1e6 / max(1, result.requests)


def _merged(runs: list[LoadResult]) -> LoadResult:
    """Rounds as one run: counts summed, each latency percentile the median over rounds."""
    return LoadResult(
        requests=sum(r.requests for r in runs),
        seconds=sum(r.seconds for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p90_ms=statistics.median(r.p90_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        max_ms=max(r.max_ms for r in runs),
        bad_status=sum(r.bad_status for r in runs),
        socket_errors=sum(r.socket_errors for r in runs),
    )


def _measure_paired(
    generator: LoadGenerator,
    url: str,
    headers: Mapping[str, str],
    settings: LoadSettings,
    server_pid: int,
    bare: BareServer,
) -> tuple[_Measured, Paired]:
    """Warm-up, then ``settings.rounds`` rounds of ours and the bare app's, in turn."""
    _check_ok(url, headers)
    _check_ok(bare.url, {})
    load = _load_average()
    generator.run(url, headers, settings.warmup, settings.connections)
    generator.run(bare.url, {}, min(1.0, settings.warmup), settings.connections)
    seconds = settings.duration / settings.rounds
    ours: list[tuple[LoadResult, float]] = []
    baseline: list[tuple[LoadResult, float]] = []
    for number in range(settings.rounds):
        # Alternate who goes first, so a drift within a round favours neither.
        turns = [(url, headers, server_pid, ours), (bare.url, {}, bare.pid, baseline)]
        for target, target_headers, pid, runs in turns if number % 2 else turns[::-1]:
            runs.append(
                _timed(generator, target, target_headers, seconds, settings.connections, pid)
            )
    result = _merged([run for run, _ in ours])
    cpu = sum(cpu * run.requests for run, cpu in ours) / max(1, result.requests)
    pairs = list(zip(ours, baseline, strict=True))
    paired = Paired(
        rounds=settings.rounds,
        ratio=statistics.median(o.rps / b.rps for (o, _), (b, _) in pairs),
        cpu_ratio=statistics.median(b_cpu / o_cpu for (_, o_cpu), (_, b_cpu) in pairs),
        bare_rps=_merged([run for run, _ in baseline]).rps,
    )
    return _Measured(result, cpu, load), paired


def endpoints_of(deployment: Deployment) -> dict[str, str]:
    """Route template (as /metrics labels it) → the path to request."""
    return {
        "/api/v1/credits": "/api/v1/credits",
        "/api/v1/generations/{id}": f"/api/v1/generations/{deployment.generation_id}",
    }


def bench_deployment(
    generator: LoadGenerator, settings: LoadSettings, deployment: Deployment, bare: BareServer
) -> list[HttpRow]:
    rows = []
    for route, path in endpoints_of(deployment).items():
        url = f"{deployment.base_url}{path}"
        before_ok, before_bad = _server_counts(deployment.base_url, route)
        run, paired = _measure_paired(
            generator, url, deployment.headers, settings, deployment.api_pid, bare
        )
        after_ok, after_bad = _server_counts(deployment.base_url, route)
        if after_ok - before_ok < run.result.requests:
            deployment.notes.append(
                f"{deployment.name} {route}: the server counted {after_ok - before_ok} answers "
                f"of 200 for {run.result.requests} measured requests"
            )
        rows.append(
            HttpRow(
                deployment.name,
                route,
                run.result,
                run.result.bad_status + after_bad - before_bad,
                run.cpu_us_per_request,
                run.load_average,
                reference=deployment.reference,
                paired=paired,
            )
        )
    return rows


def idle_rss(deployment: Deployment) -> int:
    urls = [f"{deployment.base_url}{path}" for path in endpoints_of(deployment).values()]
    return _idle_rss(deployment.api_pid, urls, deployment.headers)


def _idle_rss(pid: int, urls: list[str], headers: Mapping[str, str]) -> int:
    """VmRSS after start-up and a few requests on each endpoint, once the process is idle."""
    with httpx.Client(headers=dict(headers), timeout=10) as client:
        for _ in range(10):
            for url in urls:
                client.get(url).raise_for_status()
    time.sleep(1.0)
    return rss_kib(pid)
