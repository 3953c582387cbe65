"""Chat run speed (issue 15): the embedded planner's own time, and a run's overhead over the
renders it asks for.

- **Planner**: ``StudioPlanner.plan`` then ``reply`` for a set of messages (the reference's
  example, renders, a follow-up, research, credits) against a 200-product catalog, in this
  process; the median per message is the planner's own time per run.
- **Overhead**: the real app in this process (SQLite, two embedded worker threads, the studio
  engines). A chat run "write two ad concepts for this box and render them" from its POST to
  its end, against the same two images submitted straight to ``POST /api/v1/images`` (both at
  once, as the run submits them) from the first POST to the last image done, in alternating
  rounds. The ratio is what a run costs beyond its renders: planning, the concepts' copy, the
  steps' records, waiting on the renders without a worker and the reply.

``python -m bench.chat [runs]`` runs this section alone and prints it (RESULTS.md untouched).
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.support.product_photos import make_photo

from krev.engines.chat import (
    ChatProduct,
    ChatRequest,
    ConversationContext,
    PriorConcept,
    ToolOutcome,
)
from krev.engines.studio.chat.planner import StudioPlanner
from krev.platform.config import Plan, Settings

ROUNDS = 15  # fewer leave the median at the mercy of a few slow rounds
PLANNER_MS_TARGET = 50.0  # the embedded planner's own time per run (plan + reply), median
OVERHEAD_TARGET = 0.10  # a run's time over the renders it asks for

MESSAGES = (
    "Make three ad concepts for this product and include image ideas",
    "Write two ad concepts for this box and render them as square images",
    "Make a 15 second 9:16 video of the blue box for reels",
    "Research what skincare serum ads are running and write three concepts",
    "How many credits do I have left?",
    "Make the second one darker",
)
# The same run at two render sizes: the standard images take a few tenths of a second on the
# studio engine, 4K ones several seconds, as hosted renders do.
CASES = (
    (
        "2 concepts, 2 square images",
        "Write two ad concepts for this box and render them as square images",
    ),
    (
        "2 concepts, 2 square 4K images",
        "Write two ad concepts for this box and render them as square 4k images",
    ),
)
BENCH_PLAN = Plan(
    name="Bench",
    monthly_credits=10_000_000,
    storage_bytes=50 * 1024**3,
    rate_limit="1000000/minute",
)


@dataclass
class OverheadRow:
    name: str
    run_s: list[float] = field(default_factory=list)
    renders_s: list[float] = field(default_factory=list)

    @property
    def overhead(self) -> float:
        """Median over rounds of (run / its renders) - 1."""
        return statistics.median(
            run / renders - 1 for run, renders in zip(self.run_s, self.renders_s, strict=True)
        )

    @property
    def spread(self) -> tuple[float, float]:
        """The first and third quartiles of the rounds' overheads: a run's cost over 1024²
        renders varies by tens of points from one round to the next on two cores."""
        overheads = [run / r - 1 for run, r in zip(self.run_s, self.renders_s, strict=True)]
        quartiles = statistics.quantiles(overheads, n=4)
        return quartiles[0], quartiles[2]

    @property
    def extra_ms(self) -> float:
        """Median over rounds of what the run took beyond its renders, in milliseconds."""
        return statistics.median(
            (run - renders) * 1000 for run, renders in zip(self.run_s, self.renders_s, strict=True)
        )


@dataclass
class ChatResults:
    planner_ms: list[float] = field(default_factory=list)  # one per message and round
    rows: list[OverheadRow] = field(default_factory=list)
    rounds: int = 0
    load_average: float = 0.0

    @property
    def planner_median_ms(self) -> float:
        return statistics.median(self.planner_ms)


# --- the planner ------------------------------------------------------------------------------


def _catalog(count: int) -> tuple[ChatProduct, ...]:
    kinds = ("serum", "box", "jar", "candle", "sneakers", "mug", "bottle", "bag")
    return tuple(
        ChatProduct(
            id=str(uuid.UUID(int=index + 1)),
            name=f"{kind.title()} {index}",
            brand_name=f"Brand{index % 17}",
            product_name=f"{kind.title()} {index}",
            product_type=kind,
            colors=("blue",),
        )
        for index, kind in ((i, kinds[i % len(kinds)]) for i in range(count))
    )


def _planner_request(message: str, catalog: tuple[ChatProduct, ...]) -> ChatRequest:
    concepts = tuple(
        PriorConcept(
            number=n,
            hook="Hook",
            headline="Headline",
            body_copy="Body",
            cta="Shop now",
            image_prompt="Box on marble, soft light",
            style_id="performance",
            product_ids=(catalog[0].id,),
        )
        for n in (1, 2, 3)
    )
    return ChatRequest(
        message=message,
        agent="auto",
        selected=(catalog[1],),
        catalog=catalog,
        context=ConversationContext(concepts=concepts, product_ids=(catalog[1].id,)),
    )


def bench_planner(rounds: int, results: ChatResults) -> None:
    planner = StudioPlanner()
    catalog = _catalog(200)
    requests = [_planner_request(message, catalog) for message in MESSAGES]
    for request in requests:  # the first call in a process builds the grammar's tables
        planner.reply(request, planner.plan(request), [])
    for _ in range(rounds):
        for request in requests:
            started = time.perf_counter()
            plan = planner.plan(request)
            outcomes = [ToolOutcome(step, result={}) for step in plan.steps]
            planner.reply(request, plan, outcomes)
            results.planner_ms.append((time.perf_counter() - started) * 1000)


# --- a run over its renders --------------------------------------------------------------------


def _settings(data_dir: Path) -> Settings:
    return Settings(
        env="test",
        secret_key="bench-chat-secret-key-0123456789abcdef",
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'krev.db'}",
        embedded_workers=2,
        plans={"free": BENCH_PLAN, "pro": BENCH_PLAN},
        log_level="WARNING",
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
    )


def _account(runtime: Any) -> dict[str, str]:
    from krev.accounts import service
    from krev.accounts.keys import SCOPES

    with runtime.db.transaction() as session:
        user = service.create_user(
            session, runtime.settings, "bench-chat@example.com", "bench password 1", "pro"
        )
        _, key = service.create_key(session, runtime.settings, user.id, "bench", list(SCOPES))
    return {"Authorization": f"Bearer {key}"}


def _product(client: TestClient, headers: dict[str, str]) -> str:
    import base64

    from PIL import Image

    photo = make_photo(4, 512)  # the blue box
    buffer = io.BytesIO()
    Image.fromarray(photo.image).save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    response = client.post("/api/v1/products", json={"image_url": url}, headers=headers)
    product_id: str = response.json()["data"]["id"]
    deadline = time.monotonic() + 120
    while (
        client.get(f"/api/v1/products?id={product_id}", headers=headers).json()["data"]["status"]
        != "ready"
    ):
        if time.monotonic() > deadline:
            raise RuntimeError("the bench product was never analysed")
        time.sleep(0.05)
    return product_id


def _wait(client: TestClient, url: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while True:
        data: dict[str, Any] = client.get(url, headers=headers).json()["data"]
        if data["status"] in ("succeeded", "failed", "cancelled"):
            if data["status"] != "succeeded":
                raise RuntimeError(f"bench job ended {data['status']}: {data.get('error')}")
            return data
        if time.monotonic() > deadline:
            raise RuntimeError(f"bench job still {data['status']}")
        time.sleep(0.01)


def _time_run(
    client: TestClient, headers: dict[str, str], product_id: str, message: str
) -> tuple[float, Any]:
    started = time.perf_counter()
    response = client.post(
        "/api/v1/chat",
        json={"message": message, "product_ids": [product_id], "agent": "asset"},
        headers=headers,
    )
    run = _wait(client, response.json()["data"]["poll_url"], headers)
    return time.perf_counter() - started, run


def _time_renders(client: TestClient, headers: dict[str, str], run: dict[str, Any]) -> float:
    """The run's own renders (each media artifact's ``request``, the body its tool sent),
    submitted straight to the images API, both before waiting for either."""
    bodies = [a["request"] for a in run["artifacts"] if a["type"] == "media"]
    started = time.perf_counter()
    urls = []
    for body in bodies:
        response = client.post(
            "/api/v1/images", json=body, headers={**headers, "Prefer": "respond-async"}
        )
        urls.append(response.json()["data"]["poll_url"])
    for url in urls:
        _wait(client, url, headers)
    return time.perf_counter() - started


def run(rounds: int = ROUNDS) -> ChatResults:
    from krev.app import create_app
    from krev.composition import build_runtime
    from krev.platform.migrate import upgrade

    results = ChatResults(rounds=rounds)
    bench_planner(rounds * 4, results)
    with tempfile.TemporaryDirectory(prefix="krev-bench-chat-") as workdir:
        settings = _settings(Path(workdir))
        assert settings.database_url is not None  # _settings names the SQLite file
        upgrade(settings.database_url)
        runtime = build_runtime(settings)
        with TestClient(
            create_app(settings, runtime=runtime), base_url="http://127.0.0.1:8000"
        ) as client:
            headers = _account(runtime)
            product_id = _product(client, headers)
            rows = [OverheadRow(name) for name, _message in CASES]
            for _name, message in CASES:  # warm: engines built, fonts loaded
                _time_run(client, headers, product_id, message)
            for _ in range(rounds):
                for row, (_name, message) in zip(rows, CASES, strict=True):
                    seconds, finished = _time_run(client, headers, product_id, message)
                    media = [a for a in finished["artifacts"] if a["type"] == "media"]
                    if len(media) != 2:
                        raise RuntimeError(f"the bench run rendered {len(media)} images, not 2")
                    row.run_s.append(seconds)
                    row.renders_s.append(_time_renders(client, headers, finished))
            results.rows = rows
    results.load_average = os.getloadavg()[0]
    return results


def chat_section(r: ChatResults) -> list[str]:
    lines = [
        "",
        "## Chat runs",
        "",
        "The embedded planner's own time (plan, then reply) for six messages (the reference's "
        "example, renders, a video, research, credits, a follow-up) against a 200-product "
        f"catalog, in this process: median {r.planner_median_ms:.2f} ms over "
        f"{len(r.planner_ms)} plans.",
        "",
        "A run against its renders: the real app in this process (SQLite, two embedded worker "
        "threads, the studio engines); the run from its POST to its end, and the same two "
        "image bodies its tools sent, posted straight to `POST /api/v1/images` (both before "
        f"waiting), from the first POST to the last image done. Median of {r.rounds} rounds "
        "after a warm-up, the two taking turns. 1-minute load average at the end: "
        f"{r.load_average:.2f} on {os.cpu_count()} cores.",
        "",
        "| case | run s | renders alone s | beyond the renders ms | overhead | rounds' IQR |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for row in r.rows:
        low, high = row.spread
        lines.append(
            f"| {row.name} | {statistics.median(row.run_s):.2f} "
            f"| {statistics.median(row.renders_s):.2f} | {row.extra_ms:.0f} "
            f"| {row.overhead:+.1%} | {low:+.0%} … {high:+.0%} |"
        )
    lines += [
        "",
        "What a run adds is a roughly fixed cost: one more queue hop before its renders start "
        "(the run's own job), its steps (one transaction, with its wait, the renders enqueued "
        "together when it commits), the wake when its last render ends and the reply. "
        "Against renders of a few tenths of a second that is a large share; against renders "
        "that take seconds (4K here, any hosted model) it is a small one.",
    ]
    return lines


def chat_targets(r: ChatResults) -> list[str]:
    planner = r.planner_median_ms
    lines = [
        f"- embedded chat planner ≤ {PLANNER_MS_TARGET:g} ms per run: "
        f"{_met(planner <= PLANNER_MS_TARGET)} ({planner:.2f} ms)"
    ]
    for row in r.rows:
        lines.append(
            f"- chat run ≤ {OVERHEAD_TARGET:.0%} over its renders, {row.name}: "
            f"{_met(row.overhead <= OVERHEAD_TARGET)} ({row.overhead:+.1%}, "
            f"{row.extra_ms:.0f} ms)"
        )
    return lines


def _met(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS
    results = run(rounds)
    print("\n".join([*chat_section(results), "", *chat_targets(results)]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
