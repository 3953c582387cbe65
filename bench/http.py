"""HTTP throughput and latency of Krev's read endpoints against a bare FastAPI app served
the same way, plus the API process's idle memory.

Every answer is checked twice: the load generator counts error statuses and socket
errors, and the server's own Prometheus counters say how many answers were not 200.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
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
    cpu_before = cpu_seconds(server_pid)
    result = generator.run(url, headers, settings.duration, settings.connections)
    cpu = cpu_seconds(server_pid) - cpu_before
    return _Measured(result, cpu * 1e6 / max(1, result.requests), load)


def bench_bare(generator: LoadGenerator, settings: LoadSettings, workdir: Path) -> BareRun:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    rows = []
    with ProcessGroup(workdir) as processes:
        server = processes.start(
            "bare",
            [sys.executable, "-m", "bench.bare_app", "--port", str(port)],
            clean_env({}),
        )
        processes.wait_healthy("bare", base_url)
        rss = _idle_rss(server.pid, [f"{base_url}{path}" for path in BARE_ENDPOINTS], {})
        for path, label in BARE_ENDPOINTS.items():
            run = _measure(generator, f"{base_url}{path}", {}, settings, server.pid)
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


def endpoints_of(deployment: Deployment) -> dict[str, str]:
    """Route template (as /metrics labels it) → the path to request."""
    return {
        "/api/v1/credits": "/api/v1/credits",
        "/api/v1/generations/{id}": f"/api/v1/generations/{deployment.generation_id}",
    }


def bench_deployment(
    generator: LoadGenerator, settings: LoadSettings, deployment: Deployment
) -> list[HttpRow]:
    rows = []
    for route, path in endpoints_of(deployment).items():
        url = f"{deployment.base_url}{path}"
        before_ok, before_bad = _server_counts(deployment.base_url, route)
        run = _measure(generator, url, deployment.headers, settings, deployment.api_pid)
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
