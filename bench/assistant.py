"""Discovery assistant benchmark: how well it answers the evaluation set, beside a plain catalogue
search, and how fast it answers over 10,000 datasets.

What it does, on a fresh Steward installation in a temporary folder (STEWARD_HOME, a new SQLite
database; or, with --database-url, a new PostgreSQL database that it creates and drops):

1. Quality. `steward migrate`, then the evaluation catalogue (steward/search/tests/
   evaluation.py: about 350 datasets in 71 languages, some private, some with terms that limit
   purposes or countries) published through `steward shell -c` and the product's services.
   `steward serve` runs on a free loopback port, and every evaluation case (over 150 requests
   as developers type them, some over several turns) is asked two ways, side by side:
     - the assistant: POST /api/assistant/chat, turn by turn as a client sends them (each
       user turn with the replies before it, and the case's context);
     - the baseline, a plain catalogue search: GET /api/datasets?q=<last user message>
       &limit=5 (the message cut to the 200 characters `q` accepts).
   For each: mean recall@5 (|top 5 ∩ expected| / min(5, |expected|), the expected datasets
   computed from the case's predicate over the catalogue), the constraint violations (a
   dataset in the top 5 in another language, for another task, paid when free was asked,
   over the price, under terms that refuse the stated purpose or country, in another format),
   private datasets returned, and mean recall by what the cases exercise. Targets for the
   assistant: recall@5 >= 0.9, no violation, no private dataset.
2. Latency. The server is stopped; filler datasets (evaluation.filler: many languages, a
   third in the evaluation's own) are written as a JSON-lines file and imported with
   `steward import-catalog`, up to --total datasets (default 10,000). The server starts
   again, the evaluation is played once more (recall over the larger catalogue, the
   expected sets now computed over it too), then, from one client on a keep-alive
   connection, --requests timed POST /api/assistant/chat (default 300, after --warmup
   untimed) cycling through the cases' final conversations. Reports p50/p99/max in ms.
   Target: p50 < 200 ms.

The client runs on the same machine as the server and shares its cores. Every request has a
timeout and every loop a time limit, so a run ends even against a server that no longer
answers; the server is stopped, the folder removed and the PostgreSQL database dropped whatever
happens. It prints a summary with each figure, its target and PASS/FAIL, and exits 0 whatever
the figures are (it reports, it does not assert).

    python bench/assistant.py                  # `make bench-assistant`
    python bench/assistant.py --total 5000 --requests 100
    python bench/assistant.py --skip-latency --show-failures
    python bench/assistant.py --database-url postgres://postgres@127.0.0.1:5432/
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

# Run as a script from anywhere: the repository root holds the `steward` package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from installation import (  # noqa: E402  (bench/ is the script's folder, first on sys.path)
    free_port,
    loopback_session,
    percentile,
    postgres_database,
    run_steward,
    serving,
)

from steward.search.tests.evaluation import (  # noqa: E402
    CASES,
    TOP,
    Entry,
    Result,
    Summary,
    catalogue,
    evaluate,
    filler,
)

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30
EVALUATION_TIME_LIMIT = 600  # seconds for one pass over the cases (both ways)
LATENCY_TIME_LIMIT = 600  # seconds for the timed requests, however many are asked for
MAX_QUERY = 200  # GET /api/datasets refuses a longer q

TARGET_RECALL = 0.9
TARGET_P50_MS = 200.0

# Run by `steward shell -c`: the evaluation catalogue, published through the services.
INSTALL_HELPER = """
from steward.search.tests.evaluation import install_catalogue
print("BENCH", len(install_catalogue()))
"""


def assistant_sender(base: str, session, deadline: float, timings: list[int]) -> Callable:
    """`send(messages, context)` for evaluation.play: POST /api/assistant/chat; the time of
    each request in ns goes to `timings`."""

    def send(messages, context):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the evaluation took over {EVALUATION_TIME_LIMIT} s")
        body = {"messages": messages}
        if context:
            body["context"] = context
        started = time.perf_counter_ns()
        response = session.post(
            f"{base}/api/assistant/chat", json=body, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)
        )
        timings.append(time.perf_counter_ns() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code} {response.text[:300]}")
        return response.json()

    return send


def baseline_sender(base: str, session, deadline: float) -> Callable:
    """The plain catalogue search a client could make instead: the last user message as `q`.
    Its datasets carry no access action."""

    def send(messages, context):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the evaluation took over {EVALUATION_TIME_LIMIT} s")
        last = [m["content"] for m in messages if m["role"] == "user"][-1]
        response = session.get(
            f"{base}/api/datasets",
            params={"q": " ".join(last.split())[:MAX_QUERY], "limit": TOP},
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
        )
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code} {response.text[:300]}")
        items = response.json()["items"]
        return {"reply": "", "datasets": [{"slug": item["slug"]} for item in items]}

    return send


def run_evaluation(base: str, entries: list[Entry], with_baseline: bool):
    """The cases asked of the assistant and, with `with_baseline`, of the catalogue search.
    Returns (assistant Summary, baseline Summary or None, every chat request's time in ns)."""
    deadline = time.monotonic() + EVALUATION_TIME_LIMIT
    timings: list[int] = []
    with loopback_session() as session:
        send = assistant_sender(base, session, deadline, timings)
        assistant = Summary(list(evaluate(send, entries)))
        baseline = None
        if with_baseline:
            baseline = Summary(list(evaluate(baseline_sender(base, session, deadline), entries)))
    return assistant, baseline, timings


def time_requests(
    base: str, results: list[Result], count: int, warmup: int
) -> dict[str, list[int]]:
    """POST /api/assistant/chat with each case's final conversation in turn, on one keep-alive
    connection; ns per request by case, warm-up left out. Every answer must be 200."""
    conversations = [(r.case.name, r.messages, r.case.context) for r in results if r.messages]
    deadline = time.monotonic() + LATENCY_TIME_LIMIT
    timings: dict[str, list[int]] = {}
    clock = time.perf_counter_ns
    with loopback_session() as session:
        for number in range(warmup + count):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the timed requests took over {LATENCY_TIME_LIMIT} s")
            name, messages, context = conversations[number % len(conversations)]
            body = {"messages": messages, **({"context": context} if context else {})}
            started = clock()
            response = session.post(
                f"{base}/api/assistant/chat", json=body, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)
            )
            elapsed = clock() - started
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code} {response.text[:300]}")
            if number >= warmup:
                timings.setdefault(name, []).append(elapsed)
    return timings


def ms(timings: list[int]) -> tuple[float, float, float]:
    ordered = sorted(timings)
    if not ordered:
        return 0.0, 0.0, 0.0
    return (
        percentile(ordered, 0.50) / 1e6,
        percentile(ordered, 0.99) / 1e6,
        ordered[-1] / 1e6,
    )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def quality_lines(label: str, summary: Summary, targets: bool) -> list[str]:
    recall, violations, private = summary.mean_recall, summary.violations, summary.private
    errors = sum(1 for r in summary.results if r.error)
    perfect = sum(1 for r in summary.results if r.recall == 1.0)
    lines = [
        f"  {label}: recall@{TOP} {recall:.3f}"
        + (f" (target >= {TARGET_RECALL}: {verdict(recall >= TARGET_RECALL)})" if targets else "")
        + f"; {perfect}/{len(summary.results)} cases at 1.0",
        f"    constraint violations {violations} in {len(summary.cases_with_violations)} cases"
        + (f" (target 0: {verdict(violations == 0)})" if targets else ""),
        f"    private datasets returned {len(private)}"
        + (f" (target 0: {verdict(not private)})" if targets else "")
        + (f": {', '.join(private)}" if private else ""),
    ]
    if errors:
        lines.append(f"    failed requests {errors}")
    return lines


def by_group_lines(assistant: Summary, baseline: Summary | None) -> list[str]:
    ours = assistant.by_group()
    theirs = baseline.by_group() if baseline else {}
    lines = [
        f"  {'recall@5 by what the cases exercise':36} {'cases':>5} {'assistant':>9} {'search':>7}"
    ]
    for key, (count, recall) in ours.items():
        other = f"{theirs[key][1]:7.2f}" if key in theirs else f"{'':7}"
        lines.append(f"    {key:34} {count:5} {recall:9.2f} {other}")
    return lines


def install(env: dict[str, str]) -> int:
    out = run_steward(["shell", "--no-imports", "-c", INSTALL_HELPER], env).stdout
    for line in out.splitlines():
        if line.startswith("BENCH "):
            return int(line.split()[1])
    raise RuntimeError(f"the install helper printed:\n{out}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--total", type=int, default=10_000, help="datasets for the latency part (default 10,000)"
    )
    parser.add_argument(
        "--requests", type=int, default=300, help="timed chat requests (default 300)"
    )
    parser.add_argument(
        "--warmup", type=int, default=20, help="untimed requests first (default 20)"
    )
    parser.add_argument("--workers", type=int, default=1, help="server workers (default 1)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the filler datasets")
    parser.add_argument("--skip-latency", action="store_true", help="skip part 2 (10,000 datasets)")
    parser.add_argument(
        "--semantic",
        action="store_true",
        help="rank by meaning too (needs steward[semantic]); the target is measured without it",
    )
    parser.add_argument(
        "--show-failures", action="store_true", help="print every case the assistant got wrong"
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server, postgres://USER@HOST:PORT[/NEW_NAME]: the database is created"
        " (a random name if none) and dropped at the end; default: SQLite",
    )
    args = parser.parse_args()
    if min(args.requests, args.workers, args.total) < 1 or args.warmup < 0:
        parser.error("counts must be at least 1 (--warmup at least 0)")
    entries = list(catalogue())
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"Discovery assistant: {len(CASES)} cases over {len(entries)} datasets, then latency over"
        f" {args.total:,} datasets; {backend}, `steward serve --workers {args.workers}`"
        f" on loopback; semantic ranking {'on' if args.semantic else 'off'}"
    )
    summary: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="steward-bench-assistant-"))
    log = folder / "server.log"
    try:
        with ExitStack() as stack:
            env = dict(os.environ, STEWARD_HOME=str(folder / "home"))
            env["STEWARD_ASSISTANT_SEMANTIC"] = "auto" if args.semantic else "off"
            for name in ("DATABASE_URL", "STEWARD_DEBUG", "STEWARD_S3_BUCKET"):
                env.pop(name, None)
            if args.database_url:
                env["DATABASE_URL"] = stack.enter_context(
                    postgres_database(args.database_url, "steward_bench_assistant")
                )
                print(f"  database {urlsplit(env['DATABASE_URL']).path.lstrip('/')} (created)")
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            env["STEWARD_BASE_URL"] = base
            started = time.perf_counter()
            run_steward(["migrate", "--no-input"], env)
            published = install(env)
            print(f"  migrated and published {published} datasets in"
                  f" {time.perf_counter() - started:.1f} s")  # fmt: skip
            try:
                with serving(env, port, args.workers, log):
                    started = time.perf_counter()
                    assistant, baseline, timings = run_evaluation(base, entries, with_baseline=True)
                    print(f"  both passes over the cases in {time.perf_counter() - started:.1f} s")
            except Exception:
                if log.exists():
                    print(f"  server log (end):\n{log.read_text(errors='replace')[-3000:]}")
                raise
            small50, small99, _ = ms(timings)
            summary.append(f"Quality over the evaluation catalogue ({len(entries)} datasets):")
            summary += quality_lines("assistant (POST /api/assistant/chat)", assistant, True)
            summary += quality_lines("baseline (GET /api/datasets?q=...)", baseline, False)
            summary += by_group_lines(assistant, baseline)
            summary.append(
                f"  assistant latency over {len(entries)} datasets: p50 {small50:.1f} ms,"
                f" p99 {small99:.1f} ms ({len(timings)} requests)"
            )
            if args.show_failures:
                failing = sorted(assistant.failing(), key=lambda r: (r.recall, r.case.name))
                print(f"\nCases the assistant got wrong ({len(failing)}):")
                for result in failing:
                    print(result.describe())

            if not args.skip_latency:
                summary += measure_latency(args, env, port, base, entries, log, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print()
    print("== Summary ==")
    print("\n".join(summary))
    return 0


def measure_latency(args, env, port: int, base: str, entries: list[Entry], log, folder):
    """Part 2: the catalogue grown to --total datasets with `steward import-catalog`, the cases
    asked again, then the timed requests. Lines for the summary."""
    extra = filler(
        max(0, args.total - len(entries)), seed=args.seed, taken=[e.slug for e in entries]
    )
    path = folder / "filler.jsonl"
    path.write_text("".join(entry.import_line() + "\n" for entry in extra), encoding="utf-8")
    started = time.perf_counter()
    out = run_steward(["import-catalog", str(path)], env).stdout.strip()
    print(f"  steward import-catalog: {out} in {time.perf_counter() - started:.1f} s")
    everything = entries + extra
    try:
        with serving(env, port, args.workers, log):
            started = time.perf_counter()
            large, _, _ = run_evaluation(base, everything, with_baseline=False)
            print(f"  the cases asked again in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            by_case = time_requests(base, large.results, args.requests, args.warmup)
            print(
                f"  {args.requests} timed requests (after {args.warmup} warm-up) in"
                f" {time.perf_counter() - started:.1f} s"
            )
    except Exception:
        if log.exists():
            print(f"  server log (end):\n{log.read_text(errors='replace')[-3000:]}")
        raise
    if args.show_failures:
        failing = sorted(large.failing(), key=lambda r: (r.recall, r.case.name))
        print(
            f"\nCases the assistant got wrong over {len(everything):,} datasets ({len(failing)}):"
        )
        for result in failing:
            print(result.describe())
    timings = [elapsed for times in by_case.values() for elapsed in times]
    p50, p99, worst = ms(timings)
    slowest = sorted(by_case.items(), key=lambda item: -max(item[1]))[:5]
    lines = [f"Over {len(everything):,} datasets:"]
    lines += quality_lines("assistant", large, True)
    lines.append(
        f"  POST /api/assistant/chat: p50 {p50:.1f} ms (target < {TARGET_P50_MS:.0f} ms:"
        f" {verdict(p50 < TARGET_P50_MS)}), p99 {p99:.1f} ms, max {worst:.1f} ms"
        f" ({len(timings)} requests, {args.workers} worker)"
    )
    lines.append(
        "    slowest cases (max ms): "
        + ", ".join(f"{name} {max(times) / 1e6:.0f}" for name, times in slowest)
    )
    return lines


if __name__ == "__main__":
    sys.exit(main())
