"""Load generation: wrk when it is there (installed with apt-get when running as root),
else a small asyncio HTTP/1.1 keep-alive client. Either way: a fixed number of
connections for a fixed time after a warm-up, and every non-200 answer counted.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

# wrk calls its done() once at the end: reporting through Lua costs nothing per request.
WRK_REPORT = Path(__file__).with_name("wrk_report.lua")


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    bad_status: int  # answers the generator saw as errors (wrk: status >= 400)
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class LoadSettings:
    connections: int = 8
    duration: float = 10.0
    warmup: float = 2.0
    rounds: int = 5  # our rows: the measured time split into rounds paired with the bare app


class LoadGenerator(ABC):
    name: str

    @abstractmethod
    def run(
        self, url: str, headers: Mapping[str, str], duration: float, conns: int
    ) -> LoadResult: ...


class Wrk(LoadGenerator):
    def __init__(self, path: str) -> None:
        self.path = path
        version = subprocess.run([path, "-v"], capture_output=True, text=True, check=False)
        self.name = (version.stdout + version.stderr).strip().splitlines()[0].split(" [")[0]

    def run(self, url: str, headers: Mapping[str, str], duration: float, conns: int) -> LoadResult:
        args = [self.path, "-t1", f"-c{conns}", f"-d{max(1, round(duration))}s", "--timeout", "5s"]
        for name, value in headers.items():
            args += ["-H", f"{name}: {value}"]
        args += ["-s", str(WRK_REPORT), url]
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=duration + 30, check=False
        )
        line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
        if done.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
        raw = json.loads(line.removeprefix("WRK_JSON "))
        return LoadResult(
            requests=raw["requests"],
            seconds=raw["duration_us"] / 1e6,
            p50_ms=raw["p50_us"] / 1000,
            p90_ms=raw["p90_us"] / 1000,
            p99_ms=raw["p99_us"] / 1000,
            max_ms=raw["max_us"] / 1000,
            bad_status=raw["status"],
            socket_errors=raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
        )


class PythonLoad(LoadGenerator):
    """Keep-alive connections on one asyncio loop; slower than wrk, so it caps lower."""

    name = "python asyncio load generator (wrk unavailable)"

    def run(self, url: str, headers: Mapping[str, str], duration: float, conns: int) -> LoadResult:
        return asyncio.run(_python_load(url, headers, duration, conns))


async def _python_load(
    url: str, headers: Mapping[str, str], duration: float, conns: int
) -> LoadResult:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    head = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (head + "\r\n").encode()
    latencies: list[float] = []
    counts = {"bad": 0, "socket": 0}
    started = time.perf_counter()
    stop_at = started + duration

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while time.perf_counter() < stop_at:
                sent = time.perf_counter()
                writer.write(request)
                status = await read_response(reader)
                latencies.append(time.perf_counter() - sent)
                if status != 200:
                    counts["bad"] += 1
        except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
            counts["socket"] += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(conns)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def percentile(p: float) -> float:
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return LoadResult(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=percentile(50),
        p90_ms=percentile(90),
        p99_ms=percentile(99),
        max_ms=latencies[-1] * 1000 if latencies else 0.0,
        bad_status=counts["bad"],
        socket_errors=counts["socket"],
    )


async def read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response with a Content-Length off a keep-alive connection; its status."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("the server closed the connection")
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(status_line.split()[1])


def find_wrk(install: bool = True) -> str | None:
    """wrk's path; as root, ``apt-get install -y wrk`` (after an update if needed) when missing."""
    if shutil.which("wrk") or not install or os.geteuid() != 0 or not shutil.which("apt-get"):
        return shutil.which("wrk")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install_wrk = ["apt-get", "install", "-y", "wrk"]
    for command in (install_wrk, ["apt-get", "update"], install_wrk):
        subprocess.run(command, env=env, capture_output=True, timeout=300, check=False)
        if command is install_wrk and shutil.which("wrk"):
            break
    return shutil.which("wrk")


def load_generator() -> Wrk | PythonLoad:
    path = find_wrk()
    return Wrk(path) if path else PythonLoad()
