"""Ledger benchmark: purchases per second end to end on PostgreSQL, with concurrent clients,
and the ledger verified after the run.

What it does:

1. Setup. A new PostgreSQL database with a random name (steward_bench_ledger_<hex>) on the
   server that --database-url names (default postgres://postgres@127.0.0.1:5432; a database
   name in the URL is created instead, and an existing one is never used), dropped at the
   end; a fresh Steward installation in a temporary folder (STEWARD_HOME). `steward migrate`;
   an owner, a staff user (`users add --staff`) and an approved organization made with the
   CLI, an API key for the staff user (`apikeys create`). Then, through `steward shell -c`
   and the product's services in one go: --datasets priced datasets (catalog's make_dataset,
   a base price of 2,500 cents, automatic approval, a 4 KiB archive each), --buyers users
   (default 16 x 8 = 128) each with an API key (accounts' create_api_key) and
   --grants-per-buyer grants (access's request_access, research in KE; each is granted at
   once with a price, unpaid). Buyer i asks for datasets i, i+1, ... (mod --datasets).
2. Purchases. `steward serve --workers N` (gunicorn, default 2 workers of 4 threads) on a
   free loopback port. --clients threads (default 16), each with its own requests.Session
   (keep-alive), take purchases from one shared queue after a common start. One purchase,
   end to end over HTTP:
     a. POST /api/orders {datasetId} as the buyer, with a fresh Idempotency-Key: 201;
     b. the same request again at once (a client's retry): 200 and the same order id;
     c. POST /api/orders/{id}/mark-paid as the staff user: 200, status "paid";
     d. POST /api/datasets/{id}/download as the buyer: 200 with a downloadUrl.
   Any other answer, a different order id, or an exception is an error (counted by call and
   kind; the purchase is then abandoned). The clock runs from the common start to the last
   purchase's end. Reports purchases per second, p50/p99/max in ms of a whole purchase and
   of each call, and the error counts.
3. Verification. `steward ledger verify` must exit 0, and, through `steward shell -c`, the
   number of purchase transactions must equal the number of purchases that completed
   (likewise orders, paid orders and paid grants: a retry never makes a second order).

The clients run on the same machine as the server and the database and share their cores:
the figure is this machine's, to compare runs, not a capacity. There is no throughput target.

It prints a summary with PASS/FAIL for "ledger verified" and "no errors", and exits 0 when
both pass, 1 otherwise. Every request has a timeout, every command and the timed run a time
limit; the server is stopped, the folder removed and the database dropped whatever happens.

    python bench/ledger.py                     # 128 buyers, 16 clients (`make bench-ledger`)
    python bench/ledger.py --buyers 32 --clients 8
    python bench/ledger.py --workers 4 --grants-per-buyer 3
    python bench/ledger.py --database-url postgres://postgres@db.example.org:5432/
"""

import argparse
import json
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
from installation import (
    bench_lines,
    free_port,
    loopback_session,
    percentile,
    postgres_database,
    run_steward,
    serving,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432"
ORG = "bench-ledger"
OWNER = "bench-ledger-owner"
STAFF = "bench-ledger-staff"
BUYER_PREFIX = "bench-buyer-"
DATASET_PREFIX = "bench-ledger-"
PRICE_CENTS = 2500
ARCHIVE_BYTES = 4 * 1024
CONNECT_TIMEOUT = 5  # seconds
READ_TIMEOUT = 30  # seconds for one answer
RUN_TIME_LIMIT = 900  # seconds for all the purchases of one run
CALLS = ("order", "order retry", "mark-paid", "download")

# Run by `steward shell -c`: the datasets, the buyers with their API keys, and each buyer's
# grants made through request_access. Prints one BENCH line per buyer:
# BENCH <username> <api key> <dataset id> [<dataset id> ...]
SETUP_HELPER = """
import os
from steward.access.models import AccessRequest
from steward.access.services import request_access
from steward.accounts.services import create_api_key, create_user
from steward.catalog.tests.factories import make_dataset
from steward.organizations.models import Organization

organization = Organization.objects.get(slug=os.environ["BENCH_ORG"])
buyers = int(os.environ["BENCH_BUYERS"])
per_buyer = int(os.environ["BENCH_GRANTS_PER_BUYER"])
size = int(os.environ["BENCH_ARCHIVE_BYTES"])
price = int(os.environ["BENCH_PRICE_CENTS"])
datasets = [
    make_dataset(
        organization,
        slug=f"{os.environ['BENCH_DATASET_PREFIX']}{number}",
        archive=os.urandom(size),
        name=f"Ledger benchmark {number}",
        usage_policy={"pricing": {"basePriceCents": price}},
    )
    for number in range(int(os.environ["BENCH_DATASETS"]))
]
ask = {
    "purpose": "research",
    "country": "KE",
    "organizationName": "University of Nairobi",
    "organizationType": "academic",
    "intendedUse": "Buy access (ledger benchmark).",
    "acceptTerms": True,
}
for number in range(buyers):
    username = f"{os.environ['BENCH_BUYER_PREFIX']}{number}"
    user = create_user(username, email=f"{username}@bench.example.org")
    _key, secret = create_api_key(user, name="ledger benchmark")
    ids = []
    for offset in range(per_buyer):
        dataset = datasets[(number + offset) % len(datasets)]
        request = request_access(dataset, user=user, data=ask)
        assert request.status == AccessRequest.Status.APPROVED, (request.status, request.reason)
        grant = request.grant
        assert grant.price_cents > 0 and grant.paid_at is None, (grant.price_cents, grant.paid_at)
        ids.append(dataset.public_id)
    print("BENCH", username, secret, *ids)
"""

# Run by `steward shell -c` after the purchases: what the database holds.
COUNT_HELPER = """
from steward.access.models import Grant
from steward.payments.models import Order, Transaction
import json

print("BENCH", json.dumps({
    "purchase_transactions": Transaction.objects.filter(
        kind=Transaction.Kind.PURCHASE
    ).count(),
    "orders": Order.objects.count(),
    "paid_orders": Order.objects.filter(status=Order.Status.PAID).count(),
    "paid_grants": Grant.objects.filter(paid_at__isnull=False).count(),
}))
"""


# --- Processes and the database ------------------------------------------------------------


# --- Setup ---------------------------------------------------------------------------------


@dataclass
class Buyer:
    username: str
    key: str
    datasets: list[str]  # the public ids of the datasets it holds an unpaid grant for


@dataclass
class Setup:
    env: dict[str, str]
    staff_key: str
    buyers: list[Buyer]


def set_up(home: Path, base: str, database_url: str, args) -> Setup:
    env = dict(os.environ, STEWARD_HOME=str(home), STEWARD_BASE_URL=base)
    for name in ("STEWARD_DEBUG", "STEWARD_S3_BUCKET", "STEWARD_DOWNLOAD_MODE"):
        env.pop(name, None)
    env["DATABASE_URL"] = database_url
    run_steward(["migrate", "--no-input"], env)
    run_steward(["users", "add", OWNER, "--email", "owner@bench.example.org"], env)
    run_steward(["users", "add", STAFF, "--email", "staff@bench.example.org", "--staff"], env)
    run_steward(["orgs", "add", ORG, "--name", "Ledger Bench", "--owner", OWNER, "--approved"], env)
    staff_key = run_steward(["apikeys", "create", STAFF], env).stdout.strip()
    out = run_steward(
        ["shell", "--no-imports", "-c", SETUP_HELPER],
        env,
        {
            "BENCH_ORG": ORG,
            "BENCH_BUYERS": str(args.buyers),
            "BENCH_GRANTS_PER_BUYER": str(args.grants_per_buyer),
            "BENCH_DATASETS": str(args.datasets),
            "BENCH_DATASET_PREFIX": DATASET_PREFIX,
            "BENCH_BUYER_PREFIX": BUYER_PREFIX,
            "BENCH_ARCHIVE_BYTES": str(ARCHIVE_BYTES),
            "BENCH_PRICE_CENTS": str(PRICE_CENTS),
        },
    ).stdout
    buyers = [Buyer(username, key, ids) for username, key, *ids in bench_lines(out)]
    if len(buyers) != args.buyers or any(len(b.datasets) != args.grants_per_buyer for b in buyers):
        raise RuntimeError(f"the setup helper printed:\n{out}")
    return Setup(env, staff_key, buyers)


# --- The purchases -------------------------------------------------------------------------


@dataclass
class Results:
    purchases: list[int] = field(default_factory=list)  # ns per whole purchase that completed
    calls: dict[str, list[int]] = field(default_factory=lambda: {call: [] for call in CALLS})
    errors: Counter = field(default_factory=Counter)  # (call, kind) -> count
    examples: list[str] = field(default_factory=list)  # the first few errors, in words
    orders_made: int = 0  # purchases whose first order request answered 201
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, call: str, kind: str, detail: str) -> None:
        with self.lock:
            self.errors[(call, kind)] += 1
            if len(self.examples) < 5:
                self.examples.append(f"{call}: {kind}: {detail[:300]}")


class CallFailed(Exception):
    def __init__(self, call: str, kind: str, detail: str):
        super().__init__(f"{call}: {kind}")
        self.call, self.kind, self.detail = call, kind, detail


def purchase(
    session: requests.Session,
    base: str,
    staff_key: str,
    buyer: Buyer,
    dataset_id: str,
    results: Results,
) -> dict[str, int]:
    """One purchase end to end; nanoseconds per call. Raises CallFailed."""
    clock = time.perf_counter_ns
    timings: dict[str, int] = {}
    buyer_auth = {"Authorization": f"Bearer {buyer.key}"}

    def call(name: str, url: str, expect: int, **kwargs) -> dict:
        started = clock()
        try:
            response = session.post(url, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), **kwargs)
            body = response.json() if response.content else {}
        except (requests.RequestException, ValueError) as exc:
            raise CallFailed(name, type(exc).__name__, str(exc)) from None
        timings[name] = clock() - started
        if response.status_code != expect:
            raise CallFailed(name, f"HTTP {response.status_code}", response.text)
        return body

    order_headers = {**buyer_auth, "Idempotency-Key": str(uuid.uuid4())}
    order_body = {"datasetId": dataset_id}
    first = call("order", f"{base}/api/orders", 201, headers=order_headers, json=order_body)
    with results.lock:
        results.orders_made += 1
    order_id = first.get("id")
    if not order_id or first.get("status") != "pending":
        raise CallFailed("order", "bad answer", json.dumps(first))
    again = call("order retry", f"{base}/api/orders", 200, headers=order_headers, json=order_body)
    if again.get("id") != order_id:
        raise CallFailed("order retry", "another order", f"{order_id} then {again.get('id')}")
    paid = call(
        "mark-paid",
        f"{base}/api/orders/{order_id}/mark-paid",
        200,
        headers={"Authorization": f"Bearer {staff_key}"},
        json={"reference": f"bench-{order_id}"},
    )
    if paid.get("status") != "paid":
        raise CallFailed("mark-paid", "not paid", json.dumps(paid))
    link = call("download", f"{base}/api/datasets/{dataset_id}/download", 200, headers=buyer_auth)
    if not link.get("downloadUrl"):
        raise CallFailed("download", "no link", json.dumps(link))
    return timings


def run_purchases(base: str, setup: Setup, clients: int) -> tuple[Results, float]:
    """Every buyer's grants bought once, by `clients` threads from one queue; the results
    and the wall-clock seconds from the common start to the last purchase's end."""
    work: queue.SimpleQueue = queue.SimpleQueue()
    for buyer in setup.buyers:
        for dataset_id in buyer.datasets:
            work.put((buyer, dataset_id))
    results = Results()
    start = threading.Barrier(clients + 1, timeout=60)
    deadline = time.monotonic() + RUN_TIME_LIMIT
    clock = time.perf_counter_ns

    def client() -> None:
        with loopback_session() as session:
            start.wait()
            while time.monotonic() < deadline:
                try:
                    buyer, dataset_id = work.get_nowait()
                except queue.Empty:
                    return
                started = clock()
                try:
                    timings = purchase(session, base, setup.staff_key, buyer, dataset_id, results)
                except CallFailed as exc:
                    results.error(exc.call, exc.kind, exc.detail)
                    continue
                except Exception as exc:  # noqa: BLE001 - counted, the run goes on
                    results.error("purchase", type(exc).__name__, str(exc))
                    continue
                elapsed = clock() - started
                with results.lock:
                    results.purchases.append(elapsed)
                    for name, value in timings.items():
                        results.calls[name].append(value)

    threads = [threading.Thread(target=client, name=f"client-{n}") for n in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(max(1.0, deadline - time.monotonic() + CONNECT_TIMEOUT + READ_TIMEOUT))
    elapsed = time.perf_counter() - started
    if any(thread.is_alive() for thread in threads):
        raise TimeoutError(f"the purchases took over {RUN_TIME_LIMIT} s")
    left = 0
    while True:
        try:
            work.get_nowait()
        except queue.Empty:
            break
        left += 1
    if left:  # the time limit ran out: what was never tried counts as errors
        results.errors[("purchase", "not run (time limit)")] += left
    return results, elapsed


# --- Verification and report ---------------------------------------------------------------


def verify_ledger(env: dict[str, str]) -> tuple[bool, str, dict]:
    """`steward ledger verify` (its exit status and words) and what the database holds."""
    done = run_steward(["ledger", "verify"], env, check=False)
    words = (done.stdout + done.stderr).strip()
    out = run_steward(["shell", "--no-imports", "-c", COUNT_HELPER], env).stdout
    for line in out.splitlines():
        if line.startswith("BENCH "):
            return done.returncode == 0, words, json.loads(line.split(" ", 1)[1])
    raise RuntimeError(f"the count helper printed:\n{out}")


def latency_line(label: str, timings: list[int]) -> str:
    if not timings:
        return f"  {label:16} {'-':>8} {'-':>8} {'-':>8} {0:>7}"
    ordered = sorted(timings)
    p50, p99 = percentile(ordered, 0.50) / 1e6, percentile(ordered, 0.99) / 1e6
    return f"  {label:16} {p50:8.1f} {p99:8.1f} {ordered[-1] / 1e6:8.1f} {len(ordered):7}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--buyers", type=int, default=16 * 8, help="buyers, each with an API key (default 128)"
    )
    parser.add_argument(
        "--grants-per-buyer",
        type=int,
        default=1,
        help="priced grants each buyer buys, on as many datasets (default 1)",
    )
    parser.add_argument("--datasets", type=int, default=4, help="priced datasets (default 4)")
    parser.add_argument(
        "--clients", type=int, default=16, help="concurrent client threads (default 16)"
    )
    parser.add_argument("--workers", type=int, default=2, help="server workers (default 2)")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="a PostgreSQL server, postgres://USER@HOST:PORT[/NEW_NAME]: the database is"
        " created (a random name if none) and dropped at the end"
        f" (default {DEFAULT_DATABASE_URL})",
    )
    args = parser.parse_args()
    if min(args.buyers, args.grants_per_buyer, args.datasets, args.clients, args.workers) < 1:
        parser.error("counts must be at least 1")
    if args.grants_per_buyer > args.datasets:
        parser.error("--grants-per-buyer cannot exceed --datasets")
    total = args.buyers * args.grants_per_buyer

    print(
        f"Ledger: {total} purchases ({args.buyers} buyers x {args.grants_per_buyer}, over"
        f" {args.datasets} datasets at {PRICE_CENTS / 100:.2f} USD) by {args.clients} clients,"
        f" `steward serve --workers {args.workers}` on loopback, PostgreSQL"
    )
    folder = Path(tempfile.mkdtemp(prefix="steward-bench-ledger-"))
    log = folder / "server.log"
    try:
        with ExitStack() as stack:
            database_url = stack.enter_context(
                postgres_database(args.database_url, "steward_bench_ledger")
            )
            print(f"  database {urlsplit(database_url).path.lstrip('/')} (created)")
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            started = time.perf_counter()
            setup = set_up(folder / "home", base, database_url, args)
            print(
                f"  set up in {time.perf_counter() - started:.1f} s: {len(setup.buyers)} buyers"
                f" with API keys and {total} unpaid priced grants, a staff user with an API key"
            )
            try:
                with serving(setup.env, port, args.workers, log):
                    results, elapsed = run_purchases(base, setup, args.clients)
            except Exception:
                if log.exists():
                    print(f"  server log (end):\n{log.read_text(errors='replace')[-3000:]}")
                raise
            print(f"  purchases run in {elapsed:.2f} s")
            ledger_ok, ledger_words, counts = verify_ledger(setup.env)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    done = len(results.purchases)
    errors = sum(results.errors.values())
    # Each purchase that got its first answer made exactly one order (a retry makes none).
    counts_ok = (
        counts["purchase_transactions"] == done
        and counts["paid_orders"] == done
        and counts["paid_grants"] == done
        and counts["orders"] == results.orders_made
    )
    verified = ledger_ok and counts_ok
    no_errors = errors == 0 and done == total

    lines = [
        f"Ledger benchmark (PostgreSQL, {args.workers} workers, {args.clients} clients,"
        f" {args.buyers} buyers x {args.grants_per_buyer} grants)",
        f"  purchases      {done} of {total} in {elapsed:.2f} s:"
        f" {done / elapsed if elapsed else 0:.1f} purchases/s"
        f" ({4 * done / elapsed if elapsed else 0:.1f} requests/s)",
        f"  {'latency':16} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'count':>7}",
        latency_line("whole purchase", results.purchases),
    ]
    lines += [latency_line(call, results.calls[call]) for call in CALLS]
    if results.errors:
        lines.append(f"  errors         {errors}:")
        for (call, kind), count in sorted(results.errors.items()):
            lines.append(f"    {call:14} {kind:24} {count}")
        lines += [f"    e.g. {example}" for example in results.examples]
    else:
        lines.append("  errors         0")
    lines.append(f"  ledger verify  exit {'0' if ledger_ok else 'non-zero'}: {ledger_words}")
    lines.append(
        f"  database       {counts['purchase_transactions']} purchase transactions,"
        f" {counts['orders']} orders ({counts['paid_orders']} paid),"
        f" {counts['paid_grants']} paid grants; {done} purchases completed,"
        f" {results.orders_made} orders made"
    )
    lines.append(f"  ledger verified: {'PASS' if verified else 'FAIL'}")
    lines.append(f"  no errors: {'PASS' if no_errors else 'FAIL'}")
    print()
    print("== Summary ==")
    print("\n".join(lines))
    return 0 if verified and no_errors else 1


if __name__ == "__main__":
    sys.exit(main())
