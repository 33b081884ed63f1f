"""Load benchmark: Steward's whole deployment under a mixed load, with faults, then proof that
nothing was lost, duplicated or left half done.

What it does, all on 127.0.0.1, in a temporary folder:

1. Services. A PostgreSQL cluster of its own (initdb into the folder, trust auth, a free
   port; run as the `postgres` system user when this runs as root), so that restarting it
   cuts no other user's connections; a new database steward_load_<pid> in it, migrated with
   `steward migrate`. moto's S3 server (`moto_server`) on a free port with a new bucket:
   Steward keeps every file there (STEWARD_S3_*). Rate limits are turned off
   (STEWARD_RATE_LIMIT_*=off) so that they do not shape the figures, and uploads above
   1 MiB are checked by the task workers (STEWARD_INLINE_VERIFY_BYTES), so that they have
   work. Then `steward seed-demo` (organizations, users, datasets with real files) and,
   through `steward shell -c` and the product's services: open datasets of 256 KiB to
   6 MiB of random bytes, paid datasets (25 USD, approved at once), datasets whose access
   needs the organization's approval, buyers and uploaders (each owning an organization),
   a staff user, and an API key for each (`steward apikeys create` does the same per user).
2. Processes. 4 web processes, each `steward serve --workers 1 --threads 4` on its own
   port, and 2 task workers (`steward worker`), under a small supervisor that restarts any
   that exits (as systemd's Restart= does, after 1 s; such exits are reported).
3. Load. --clients threads (default 32) for --seconds (default 60) or --requests requests,
   whichever ends first, each doing a weighted random mix (bench/load_mix.py): pages (/,
   /datasets, /languages, a dataset page), catalogue search, assistant questions, download
   sessions (POST .../download, then the signed link and a Range GET of the first bytes
   from the bucket, then the link again and the rest, the whole checked against its
   SHA-256), multipart uploads of generated .tar.gz archives (a draft, the upload, parts
   PUT to their presigned URLs, the completion with the SHA-256; a quarter are two-part
   archives of 5.5 MiB), access requests that wait for approval, and orders (an access
   request approved with a price, POST /api/orders with an Idempotency-Key, the same again,
   sometimes again with another key, staff's mark-paid, then a download session the
   payment allows). Clients pick a web process per request, round robin, and send a
   refused connection to the next one (a load balancer's retry, counted).
4. Faults, during the load: at 25 % of --seconds one web process is killed with SIGKILL
   (its gunicorn master and worker) and restarted 3 s later; at 40 % one task worker is
   killed with SIGKILL (while a task runs, if one starts within 5 s) and restarted 3 s
   later; at 60 % PostgreSQL is restarted (`pg_ctl restart -m fast`), and the window from
   the command's start to the server accepting connections again is recorded.
5. Afterwards, once the task queue has drained (at most --drain-seconds), the checks, each
   PASS or FAIL with its figures: every completed upload is COMPLETED with the client's
   SHA-256, attached to its submission, and its object in the bucket re-read hashes to it;
   every download verified; no order duplicated (one order per Idempotency-Key and every
   answer for a key the same order; at most one order, and one paid, per grant); `steward
   ledger verify` and `steward audit verify` exit 0; every queued task ran (none waiting
   or running, none failed); no 5xx from Steward outside the database restart window (plus
   --grace seconds after it); no request lost (connection cut) away from the web process's
   kill (up to --grace seconds after it).

It prints, per kind and step of request: count, errors by status, requests/s, p50 and p99
latency in ms; the faults' times; 5xx inside and outside the window; the connections
refused and sent elsewhere; the checks. Exit status 0 when every check passes, 1
otherwise. The clients, the servers, moto and PostgreSQL share this machine's cores: the
figures are this machine's, for comparing runs, not capacities. Every process, command,
request and wait is bounded; everything started is stopped and the folder (with the
database cluster) removed, unless --keep.

    python bench/load.py                       # `make bench-load`: 60 s, 32 clients
    python bench/load.py --seconds 45 --clients 16
    python bench/load.py --keep                # keep the folder: logs of every process
"""

import argparse
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from contextlib import ExitStack
from pathlib import Path

from installation import (
    bench_lines,
    free_port,
    loopback_session,
    percentile,
    run_steward,
    stop_group,
)
from load_mix import LOST, TIMEOUT, WEIGHTS, Fixture, Mix
from load_services import (
    Cluster,
    Managed,
    Supervisor,
    moto_command,
    postgres_bin,
    serve_args,
    wait_for,
    worker_args,
)

WEB_PROCESSES = 4
THREADS = 4
TASK_WORKERS = 2
DOWN_SECONDS = 3.0  # how long a killed process stays down before its restart
RUNNING_TASK_WAIT = 5.0  # seconds to wait for a task to run before killing a worker
BUCKET = "steward-load"
S3_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
OPEN_SIZES = (256 * 1024, 1024 * 1024, 3 * 1024 * 1024, 6 * 1024 * 1024)
PAID_DATASETS = 8
REQUEST_DATASETS = 8
BUYERS = 64
UPLOADERS = 8
PRICE_CENTS = 2500
TASK_TABLE = "django_tasks_database_dbtaskresult"  # app label django_tasks_database

# Run by `steward shell -c`: the load's own datasets, users and API keys, through the
# product's services. Prints BENCH lines: "staff KEY", "open ID SIZE SHA256", "paid ID",
# "request ID", "buyer KEY", "uploader KEY".
SETUP_HELPER = """
import hashlib, os
from steward.accounts.services import create_api_key, create_user
from steward.catalog.tests.factories import make_dataset
from steward.organizations.services import create_organization

def user(name, **extra):
    made = create_user(name, email=f"{name}@load.example.org", **extra)
    return made, create_api_key(made, name="load benchmark")[1]

owner, _ = user("load-owner")
org = create_organization("load-bench", name="Load Bench", owner=owner, approved=True,
                          country="KE")
_, key = user("load-staff", is_staff=True)
print("BENCH staff", key)
for number, size in enumerate(int(s) for s in os.environ["BENCH_OPEN_SIZES"].split(",")):
    data = os.urandom(size)
    made = make_dataset(org, slug=f"load-open-{number}", archive=data,
                        name=f"Load open {number}", locale="sw")
    print("BENCH open", made.public_id, size, hashlib.sha256(data).hexdigest())
price = int(os.environ["BENCH_PRICE"])
for number in range(int(os.environ["BENCH_PAID"])):
    made = make_dataset(org, slug=f"load-paid-{number}", archive=os.urandom(4096),
                        name=f"Load paid {number}",
                        usage_policy={"pricing": {"basePriceCents": price}})
    print("BENCH paid", made.public_id)
for number in range(int(os.environ["BENCH_REQUEST"])):
    made = make_dataset(org, slug=f"load-request-{number}", archive=os.urandom(4096),
                        name=f"Load request {number}",
                        usage_policy={"approval": "manual", "requestRequired": True})
    print("BENCH request", made.public_id)
for number in range(int(os.environ["BENCH_BUYERS"])):
    print("BENCH buyer", user(f"load-buyer-{number}")[1])
for number in range(int(os.environ["BENCH_UPLOADERS"])):
    made, key = user(f"load-uploader-{number}")
    create_organization(f"load-up-{number}", name=f"Load Uploads {number}", owner=made,
                        approved=True, country="KE")
    print("BENCH uploader", key)
"""

# Run by `steward shell -c` after the load: what the database holds about the uploads the
# clients completed (BENCH_UPLOADS names a JSON file of their ids), the orders, the tasks.
CHECK_HELPER = """
import json, os
from django.db.models import Count
from django_tasks_db.models import DBTaskResult
from steward.catalog.models import Submission
from steward.payments.models import Order
from steward.storage.models import Upload

ids = json.load(open(os.environ["BENCH_UPLOADS"]))
uploads = {}
for upload in Upload.objects.filter(public_id__in=ids).select_related("blob"):
    attached = Submission.objects.filter(archive_upload=upload).values_list("public_id", flat=True)
    uploads[upload.public_id] = {
        "status": upload.status, "claimed": upload.claimed_sha256, "failure": upload.failure,
        "sha256": upload.blob.sha256 if upload.blob else None,
        "size": upload.blob.size_bytes if upload.blob else None,
        "key": upload.blob.key if upload.blob else None,
        "submissions": list(attached),
    }
orders = [
    {"id": o.public_id, "buyer": o.buyer.username, "key": o.idempotency_key,
     "grant": o.grant.public_id, "status": o.status}
    for o in Order.objects.select_related("buyer", "grant")
]
tasks = dict(DBTaskResult.objects.order_by().values_list("status").annotate(n=Count("id")))
bad = [
    {"id": str(t.id), "task": t.task_path, "status": t.status, "workers": t.worker_ids,
     "exception": t.exception_class_path, "started": str(t.started_at)}
    for t in DBTaskResult.objects.exclude(status="SUCCESSFUL")
]
print("BENCH", json.dumps({"uploads": uploads, "orders": orders, "tasks": tasks, "bad": bad}))
"""


def log(message: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')} {message}", flush=True)


# --- Setup ---------------------------------------------------------------------------------


def create_database(cluster: Cluster, name: str) -> None:
    import psycopg

    server = cluster.url("postgres")
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')


def s3_client(endpoint: str):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **S3_KEYS)


def steward_env(home: Path, database_url: str, s3_endpoint: str, base: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in (
        "STEWARD_DEBUG",
        "STEWARD_DOWNLOAD_MODE",
        "STEWARD_REDIS_URL",
        "STEWARD_LLM_URL",
        "STEWARD_STORAGE_MIGRATING_FROM",
        "STEWARD_GEOIP_DATABASE",
        "DATABASE_URL_FILE",
        "PROMETHEUS_MULTIPROC_DIR",
    ):
        env.pop(name, None)
    env.update(
        STEWARD_HOME=str(home),
        DATABASE_URL=database_url,
        STEWARD_SECRET_KEY=secrets.token_urlsafe(48),  # shared by every process
        STEWARD_BASE_URL=base,
        STEWARD_S3_BUCKET=BUCKET,
        STEWARD_S3_ENDPOINT=s3_endpoint,
        STEWARD_S3_REGION="us-east-1",
        STEWARD_S3_ACCESS_KEY_ID=S3_KEYS["aws_access_key_id"],
        STEWARD_S3_SECRET_ACCESS_KEY=S3_KEYS["aws_secret_access_key"],
        STEWARD_RATE_LIMIT_API="off",
        STEWARD_RATE_LIMIT_LOGIN="off",
        STEWARD_RATE_LIMIT_SIGNUP="off",
        STEWARD_RATE_LIMIT_ACCESS_REQUEST="off",
        STEWARD_INLINE_VERIFY_BYTES=str(1024 * 1024),
        # A task whose worker died or lost the database runs again once its lease ends:
        # shorter than the default minute, so that it happens within the drain.
        STEWARD_TASK_WORKER_TIMEOUT="15",
        STEWARD_LOG_LEVEL="WARNING",
    )
    return env


def seed(env: dict[str, str], ports: list[int]) -> Fixture:
    run_steward(["seed-demo"], env)
    out = run_steward(
        ["shell", "--no-imports", "-c", SETUP_HELPER],
        env,
        {
            "BENCH_OPEN_SIZES": ",".join(str(s) for s in OPEN_SIZES),
            "BENCH_PAID": str(PAID_DATASETS),
            "BENCH_REQUEST": str(REQUEST_DATASETS),
            "BENCH_PRICE": str(PRICE_CENTS),
            "BENCH_BUYERS": str(BUYERS),
            "BENCH_UPLOADERS": str(UPLOADERS),
        },
    ).stdout
    lines = bench_lines(out)
    by_kind = defaultdict(list)
    for kind, *values in lines:
        by_kind[kind].append(values)
    paid = [v[0] for v in by_kind["paid"]]
    needing = [v[0] for v in by_kind["request"]]
    buyers = [v[0] for v in by_kind["buyer"]]
    fixture = Fixture(
        ports=ports,
        staff_key=by_kind["staff"][0][0],
        buyer_keys=buyers,
        uploader_keys=[v[0] for v in by_kind["uploader"]],
        open_datasets=[(i, int(size), sha) for i, size, sha in by_kind["open"]],
        page_slugs=[],
        order_pairs=[(b, d) for b in range(len(buyers)) for d in paid],
        request_pairs=[(b, d) for b in range(len(buyers)) for d in needing],
    )
    if len(fixture.open_datasets) != len(OPEN_SIZES) or len(buyers) != BUYERS:
        raise RuntimeError(f"the setup helper printed:\n{out}")
    return fixture


def page_slugs(port: int) -> list[str]:
    with loopback_session() as session:
        answer = session.get(
            f"http://127.0.0.1:{port}/api/datasets", params={"limit": 100}, timeout=30
        )
        answer.raise_for_status()
        return [d["slug"] for d in answer.json()["items"]]


# --- Faults --------------------------------------------------------------------------------


def worker_id(worker: Managed) -> str | None:
    """The id django-tasks-db's worker logged at its latest start (the id it claims tasks
    with)."""
    text = worker.log.read_text(errors="replace")
    found = re.findall(r"worker_id=(\S+)", text.rsplit("--- start", 1)[-1])
    return found[-1] if found else None


class Faults:
    """The three faults, at their times during the load; what happened, with wall-clock
    times."""

    def __init__(self, supervisor: Supervisor, cluster: Cluster, database_url: str):
        self.supervisor, self.cluster, self.database_url = supervisor, cluster, database_url
        self.web_killed = self.web_back = None
        self.worker_killed = self.worker_back = None
        self.running_at_kill: list[str] = []
        self.worker_name = ""
        self.db_window: tuple[float, float] | None = None
        self.problems: list[str] = []

    def running_tasks(self) -> list[tuple[str, str, str]]:
        """(task id, task name, id of the worker that claimed it) of every running task."""
        import psycopg

        with psycopg.connect(self.database_url, connect_timeout=5) as connection:
            rows = connection.execute(
                f"SELECT id, task_path, worker_ids FROM {TASK_TABLE} WHERE status = 'RUNNING'"
            ).fetchall()
        return [(str(i), path.rsplit(".", 1)[-1], (ids or ["?"])[-1]) for i, path, ids in rows]

    def kill_web(self, web: Managed, health: str) -> None:
        self.web_killed = self.supervisor.kill(web, DOWN_SECONDS)
        deadline = time.monotonic() + DOWN_SECONDS + 60
        while time.monotonic() < deadline:
            if web.alive() and web.killed_at is None:
                try:
                    wait_for(health, web.process, timeout=max(1, deadline - time.monotonic()))
                    self.web_back = time.time()
                    log(
                        f"{web.name} answers again, {self.web_back - self.web_killed:.1f} s"
                        " after the kill"
                    )
                    return
                except RuntimeError as exc:
                    self.problems.append(f"{web.name} after its restart: {exc}")
                    return
            time.sleep(0.1)
        self.problems.append(f"{web.name} was not restarted")

    def kill_worker(self, workers: list[Managed]) -> Managed:
        """SIGKILL the worker that runs a task (waiting up to RUNNING_TASK_WAIT seconds for
        one to start), else the first; restart it DOWN_SECONDS later."""
        deadline = time.monotonic() + RUNNING_TASK_WAIT
        victim, held = workers[0], []
        while time.monotonic() < deadline:
            try:
                running = self.running_tasks()
            except Exception as exc:  # noqa: BLE001 - the kill happens anyway
                self.problems.append(f"looking for running tasks: {exc}")
                break
            ids = {worker_id(w): w for w in workers}
            busy = [(task, name, ids[owner]) for task, name, owner in running if owner in ids]
            if busy:
                victim = busy[0][2]
                held = [f"{name} {task}" for task, name, w in busy if w is victim]
                break
            time.sleep(0.05)
        self.running_at_kill = held
        self.worker_killed = self.supervisor.kill(victim, DOWN_SECONDS)
        self.worker_name = victim.name
        log(f"tasks it was running: {held or 'none'}")
        deadline = time.monotonic() + DOWN_SECONDS + 30
        while time.monotonic() < deadline:
            if victim.alive() and victim.killed_at is None:
                self.worker_back = time.time()
                return victim
            time.sleep(0.1)
        self.problems.append(f"{victim.name} was not restarted")
        return victim

    def restart_database(self) -> None:
        started = time.time()
        log("restarting PostgreSQL (pg_ctl restart -m fast)")
        try:
            self.cluster.restart()
        finally:
            self.db_window = (started, time.time())
        log(f"PostgreSQL accepts connections again after {self.db_window[1] - started:.1f} s")


def run_load(mix: Mix, faults: Faults, webs: list[Managed], workers: list[Managed]) -> None:
    """The clients in a thread; the faults at their times from the main thread."""
    errors: list[BaseException] = []

    def clients() -> None:
        try:
            mix.run()
        except BaseException as exc:  # noqa: BLE001 - raised again below
            errors.append(exc)

    thread = threading.Thread(target=clients, name="clients")
    thread.start()
    start = time.monotonic()
    schedule = [
        (0.25, "SIGKILL a web process", lambda: faults.kill_web(webs[0], webs[0].health_url)),
        (0.40, "SIGKILL a task worker", lambda: faults.kill_worker(workers)),
        (0.60, "restart PostgreSQL", faults.restart_database),
    ]
    for share, what, action in schedule:
        wait = start + share * mix.seconds - time.monotonic()
        thread.join(max(0.0, wait))
        if not thread.is_alive():
            faults.problems.append(f"the load ended before: {what}")
            break
        log(what)
        action()
    thread.join()
    if errors:
        raise errors[0]


# --- Checks and report ---------------------------------------------------------------------


def worker_ids(workers: list[Managed]) -> dict[str, str]:
    """Every id the task workers logged, each with the process and its start it belongs to,
    e.g. "task worker 1, start 2"."""
    found = {}
    for worker in workers:
        for number, section in enumerate(
            worker.log.read_text(errors="replace").split("--- start")[1:]
        ):
            for claimed in re.findall(r"worker_id=(\S+)", section):
                found[claimed] = f"{worker.name}, start {number + 1}"
    return found


def drain(database_url: str, limit: float, workers: list[Managed]) -> tuple[dict, float]:
    """Wait until no task is waiting or running, at most `limit` seconds: a task whose worker
    was killed, or lost its database connection, comes back once its lease ends
    (STEWARD_TASK_WORKER_TIMEOUT) and must then run too. The counts by status and the
    seconds waited."""
    import psycopg

    started = time.monotonic()
    counts: dict[str, int] = {}
    while True:
        try:
            with psycopg.connect(database_url, connect_timeout=5) as connection:
                counts = dict(
                    connection.execute(
                        f"SELECT status, count(*) FROM {TASK_TABLE} GROUP BY status"
                    ).fetchall()
                )
        except psycopg.OperationalError:
            counts = {"READY": -1}
        if counts.get("READY", 0) == 0 and counts.get("RUNNING", 0) == 0:
            break
        if time.monotonic() - started > limit:
            break
        time.sleep(0.5)
    return counts, time.monotonic() - started


def read_state(env: dict[str, str], folder: Path, uploads: list) -> dict:
    ids_file = folder / "uploads.json"
    ids_file.write_text(json.dumps([u.file_upload_id for u in uploads]))
    out = run_steward(
        ["shell", "--no-imports", "-c", CHECK_HELPER], env, {"BENCH_UPLOADS": str(ids_file)}
    ).stdout
    for line in out.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line.split(" ", 1)[1])
    raise RuntimeError(f"the check helper printed:\n{out}")


def object_sha256(client, key: str) -> str:
    digest = hashlib.sha256()
    body = client.get_object(Bucket=BUCKET, Key=key)["Body"]
    for chunk in iter(lambda: body.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


class Report:
    def __init__(self):
        self.lines: list[str] = []
        self.checks: list[tuple[str, bool, str]] = []

    def check(self, name: str, passed: bool, figures: str) -> None:
        self.checks.append((name, passed, figures))


def check_uploads(report: Report, uploads: list, state: dict, s3) -> None:
    problems = []
    for upload in uploads:
        row = state["uploads"].get(upload.file_upload_id)
        if row is None:
            problems.append(f"{upload.file_upload_id}: not in the database")
            continue
        wrong = []
        if row["status"] != "completed":
            wrong.append(f"{row['status']} {row['failure']}".strip())
        elif not (row["claimed"] == row["sha256"] == upload.sha256 and row["size"] == upload.size):
            wrong.append(f"recorded {row['sha256']} ({row['size']} bytes), sent {upload.sha256}")
        elif (stored := object_sha256(s3, row["key"])) != upload.sha256:
            wrong.append(f"the bucket's object hashes to {stored}")
        if upload.submission_id not in row["submissions"]:
            wrong.append(f"not attached to its submission {upload.submission_id}")
        if wrong:
            problems.append(f"{upload.file_upload_id} ({upload.size} bytes): {'; '.join(wrong)}")
    by_status = Counter(u.status for u in uploads)
    large = sum(1 for u in uploads if u.size > 1024 * 1024)
    report.check(
        "every completed upload's checksum verifies",
        bool(uploads) and not problems,
        f"{len(uploads)} uploads completed ({large} of 2 parts; the completion answered"
        f" {dict(by_status)}); recorded SHA-256, attachment and the bucket's object re-read:"
        f" {len(uploads) - len(problems)} ok" + "".join(f"\n      {p}" for p in problems[:10]),
    )


def check_orders(report: Report, orders: list, state: dict) -> None:
    rows = state["orders"]
    by_key = defaultdict(list)
    by_grant = defaultdict(list)
    for row in rows:
        if row["key"]:
            by_key[(row["buyer"], row["key"])].append(row)
        by_grant[row["grant"]].append(row)
    problems = []
    for (buyer, key), found in by_key.items():
        if len(found) > 1:
            problems.append(f"key {key} of {buyer}: {len(found)} orders")
    for grant, found in by_grant.items():
        if len(found) > 1:
            problems.append(f"grant {grant}: {len(found)} orders")
        if sum(1 for r in found if r["status"] == "paid") > 1:
            problems.append(f"grant {grant}: several paid orders")
    known = {row["id"]: row for row in rows}
    for order in orders:
        if len(order.order_ids) > 1:
            problems.append(f"key {order.key}: answered {sorted(order.order_ids)}")
        for order_id in order.order_ids:
            row = known.get(order_id)
            if row is None or row["key"] != order.key:
                problems.append(f"key {order.key}: answered {order_id}, not in the database")
            elif order.paid and row["status"] != "paid":
                problems.append(f"{order_id}: confirmed paid, but {row['status']}")
    sent_keys = {order.key for order in orders}
    strangers = [r["id"] for r in rows if r["key"] and r["key"] not in sent_keys]
    if strangers:
        problems.append(f"orders with keys no client sent: {strangers[:5]}")
    paid = sum(1 for r in rows if r["status"] == "paid")
    report.check(
        "no order duplicated",
        not problems,
        f"{len(orders)} Idempotency-Keys sent, {len(rows)} orders in the database ({paid}"
        f" paid) over {len(by_grant)} grants; {sum(o.paid for o in orders)} confirmed paid,"
        f" {sum(o.download_after_payment for o in orders)} downloads after payment"
        + "".join(f"\n      {p}" for p in problems[:10]),
    )


def verify_command(report: Report, env: dict[str, str], name: str) -> None:
    done = run_steward([name, "verify"], env, check=False)
    words = " ".join((done.stdout + done.stderr).split())[:300]
    report.check(
        f"`steward {name} verify` is clean",
        done.returncode == 0,
        f"exit {done.returncode}: {words}",
    )


def check_tasks(
    report: Report, state: dict, waited: float, limit: float, claimed_by: dict[str, str]
) -> None:
    tasks, bad = state["tasks"], state["bad"]
    waiting = tasks.get("READY", 0) + tasks.get("RUNNING", 0)
    failed = tasks.get("FAILED", 0)
    lines = "".join(
        f"\n      {b['status']} {b['task'].rsplit('.', 1)[-1]} {b['id']} started"
        f" {b['started'][11:19]}, claimed by"
        f" {'; '.join(claimed_by.get(w, w) for w in b['workers']) or 'none'}"
        f" {b['exception']}"
        for b in bad[:10]
    )
    report.check(
        "every queued task ran",
        waiting == 0 and failed == 0 and tasks.get("SUCCESSFUL", 0) > 0,
        f"{dict(sorted(tasks.items()))} after waiting {waited:.1f} s (at most {limit:g} s)" + lines,
    )


def latency_table(samples: list, seconds: float) -> list[str]:
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for sample in samples:
        groups[(sample.kind, sample.step)].append(sample)
    kinds = list(WEIGHTS)
    lines = [
        f"  {'kind':15} {'request':30} {'count':>6} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8}"
        "  errors by status"
    ]

    def row(kind: str, step: str, found: list) -> str:
        timed = sorted(s.ms for s in found if s.status > 0)
        p50 = f"{percentile(timed, 0.5):8.1f}" if timed else f"{'-':>8}"
        p99 = f"{percentile(timed, 0.99):8.1f}" if timed else f"{'-':>8}"
        errors = Counter(
            {LOST: "lost", TIMEOUT: "timeout"}.get(s.status, str(s.status))
            for s in found
            if not s.ok
        )
        shown = ", ".join(f"{status}: {n}" for status, n in sorted(errors.items())) or "-"
        return (
            f"  {kind:15} {step[:30]:30} {len(found):6} {len(found) / seconds:7.1f}"
            f" {p50} {p99}  {shown}"
        )

    for kind in kinds:
        steps = [key for key in groups if key[0] == kind]
        for key in sorted(steps, key=lambda k: min(s.at for s in groups[k])):
            lines.append(row(kind, key[1], groups[key]))
        if len(steps) > 1:
            lines.append(row(kind, "(all)", [s for key in steps for s in groups[key]]))
    everything = [s for s in samples if not s.s3]
    lines.append(row("Steward", "(all requests to Steward)", everything))
    lines.append(row("S3", "(all requests to the bucket)", [s for s in samples if s.s3]))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of the load (60)")
    parser.add_argument(
        "--requests", type=int, default=100_000, help="at most this many requests in all (100000)"
    )
    parser.add_argument("--clients", type=int, default=32, help="client threads (32)")
    parser.add_argument(
        "--grace",
        type=float,
        default=5.0,
        help="seconds after the database restart, and after the web process's"
        " kill, when 5xx and lost requests are expected (5)",
    )
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=120,
        help="at most this long to wait for the task queue to drain (120)",
    )
    parser.add_argument("--pg-bin", help="folder of PostgreSQL's initdb and pg_ctl")
    parser.add_argument("--keep", action="store_true", help="keep the folder (logs)")
    args = parser.parse_args()
    if args.seconds < 20 or args.clients < 1 or args.requests < 1:
        parser.error("--seconds must be at least 20, --clients and --requests at least 1")

    print(
        f"Load: {args.clients} clients for {args.seconds:g} s (at most {args.requests:,}"
        f" requests); {WEB_PROCESSES} web processes (`steward serve --workers 1 --threads"
        f" {THREADS}`), {TASK_WORKERS} task workers, PostgreSQL, moto's S3 server;"
        f" {os.cpu_count()} CPUs; rate limits off (STEWARD_RATE_LIMIT_*=off)"
    )
    folder = Path(tempfile.mkdtemp(prefix="steward-bench-load-"))
    report = Report()
    try:
        with ExitStack() as stack:
            print("setup:")
            pg_folder = folder / "postgres"
            pg_folder.mkdir()
            cluster = Cluster(postgres_bin(args.pg_bin), pg_folder, free_port())
            stack.callback(cluster.stop)
            cluster.start()
            name = f"steward_load_{os.getpid()}"
            create_database(cluster, name)
            database_url = cluster.url(name)
            log(f"PostgreSQL of its own on 127.0.0.1:{cluster.port}, database {name}")

            moto_port = free_port()
            endpoint = f"http://127.0.0.1:{moto_port}"
            with (folder / "moto.log").open("w") as moto_log:
                moto = subprocess.Popen(
                    moto_command(moto_port),
                    stdout=moto_log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            stack.callback(stop_group, moto)
            wait_for(f"{endpoint}/moto-api/", moto)
            s3 = s3_client(endpoint)
            s3.create_bucket(Bucket=BUCKET)
            log(f"moto's S3 server on {endpoint}, bucket {BUCKET}")

            ports = [free_port() for _ in range(WEB_PROCESSES)]
            env = steward_env(
                folder / "home", database_url, endpoint, f"http://127.0.0.1:{ports[0]}"
            )
            started = time.perf_counter()
            run_steward(["migrate", "--no-input"], env)
            fixture = seed(env, ports)
            log(
                f"migrated and seeded in {time.perf_counter() - started:.1f} s: seed-demo,"
                f" {len(fixture.open_datasets)} open, {PAID_DATASETS} paid and"
                f" {REQUEST_DATASETS} approval datasets, {BUYERS} buyers, {UPLOADERS} uploaders"
            )

            events: list[tuple[float, str]] = []

            def note(what: str) -> None:
                events.append((time.time(), what))
                log(what)

            supervisor = Supervisor(note)
            stack.callback(supervisor.stop)
            webs = []
            for number, port in enumerate(ports):
                web_env = dict(env, PROMETHEUS_MULTIPROC_DIR=str(folder / f"metrics-{port}"))
                webs.append(
                    supervisor.add(
                        Managed(
                            f"web {number + 1} (:{port})",
                            serve_args(port, THREADS),
                            web_env,
                            folder / f"web-{number + 1}.log",
                            f"http://127.0.0.1:{port}/healthz",
                        )
                    )
                )
            workers = [
                supervisor.add(
                    Managed(
                        f"task worker {n + 1}", worker_args(), env, folder / f"worker-{n + 1}.log"
                    )
                )
                for n in range(TASK_WORKERS)
            ]
            for web in webs:
                wait_for(web.health_url, web.process)
            supervisor.run()
            fixture.page_slugs = page_slugs(ports[0])
            log(f"{len(webs)} web processes and {len(workers)} task workers running")

            print(f"load ({args.clients} clients, {args.seconds:g} s):")
            mix = Mix(fixture, args.clients, args.seconds, args.requests)
            faults = Faults(supervisor, cluster, database_url)
            run_load(mix, faults, webs, workers)
            duration = mix.ended - mix.started
            log(f"load over: {len(mix.results.samples):,} requests in {duration:.1f} s")

            counts, waited = drain(database_url, args.drain_seconds, workers)
            log(f"task queue after {waited:.1f} s: {counts}")
            supervisor.stop()
            state = read_state(env, folder, mix.results.uploads)

            results = mix.results
            check_uploads(report, results.uploads, state, s3)
            report.check(
                "every download verified",
                results.downloads_verified > 0 and not results.download_mismatches,
                f"{results.downloads_verified} download sessions fetched in two ranges and"
                f" hashed to the stored SHA-256"
                + "".join(f"\n      {m}" for m in results.download_mismatches[:5]),
            )
            check_orders(report, results.orders, state)
            verify_command(report, env, "ledger")
            verify_command(report, env, "audit")
            check_tasks(report, state, waited, args.drain_seconds, worker_ids(workers))

            window = faults.db_window
            steward_samples = [s for s in results.samples if not s.s3]
            errors_5xx = [s for s in steward_samples if s.status >= 500]

            def in_db_window(sample) -> bool:
                # Sent before the restart's end (plus the grace) and answered after its start.
                return (
                    window is not None
                    and sample.at <= window[1] + args.grace
                    and sample.at + sample.ms / 1000 >= window[0]
                )

            inside = [s for s in errors_5xx if in_db_window(s)]
            outside = [s for s in errors_5xx if not in_db_window(s)]
            report.check(
                "no 5xx outside the database restart window",
                not outside and window is not None,
                f"{len(inside)} inside, {len(outside)} outside (requests in flight during the"
                f" window or up to {args.grace:g} s after it)"
                + "".join(
                    f"\n      {time.strftime('%H:%M:%S', time.localtime(s.at))}"
                    f" {s.kind}/{s.step} {s.status}"
                    for s in outside[:10]
                ),
            )
            lost = [s for s in results.samples if s.status == LOST and not s.s3]
            kill = faults.web_killed

            def near_kill(sample) -> bool:
                # In flight when the process died (or sent to it until the grace ran out).
                return (
                    kill is not None
                    and sample.at <= kill + args.grace
                    and sample.at + sample.ms / 1000 >= kill - 0.5
                )

            stray = [s for s in lost if not near_kill(s)]
            report.check(
                "no request lost away from the web process's kill",
                not stray,
                f"{len(lost) - len(stray)} cut at the kill, {len(stray)} elsewhere"
                + "".join(
                    f"\n      {time.strftime('%H:%M:%S', time.localtime(s.at))} {s.kind}/{s.step}"
                    for s in stray[:10]
                ),
            )
            report.check(
                "the faults happened as planned",
                not faults.problems and bool(window),
                "; ".join(faults.problems) or "all three",
            )

            # --- The figures -------------------------------------------------------------
            print()
            print("== Requests ==")
            print("\n".join(latency_table(results.samples, duration)))
            print()
            print("== Operations (ok, or the step that failed) ==")
            for kind in WEIGHTS:
                found = {r: n for (k, r), n in results.operations.items() if k == kind}
                if found:
                    shown = ", ".join(f"{r}: {n}" for r, n in sorted(found.items()))
                    print(f"  {kind:15} {shown}")
            for failure in results.failures:
                print(f"    e.g. {failure}")
            print()
            print("== Faults ==")
            zero = mix.started

            def at(moment: float | None) -> str:
                return "-" if moment is None else f"t+{moment - zero:5.1f} s"

            print(
                f"  web process SIGKILL        {at(faults.web_killed)}, answering again"
                f" {at(faults.web_back)}"
            )
            print(
                f"  task worker SIGKILL        {at(faults.worker_killed)} ({faults.worker_name},"
                f" which was running: {faults.running_at_kill or 'no task'}), restarted"
                f" {at(faults.worker_back)}"
            )
            if window:
                print(
                    f"  PostgreSQL restart         {at(window[0])} to {at(window[1])}"
                    f" ({window[1] - window[0]:.1f} s; grace {args.grace:g} s)"
                )
            refused = results.refused
            print(
                f"  connections refused, sent to another web process: {len(refused)}"
                f" ({sum(1 for t in refused if kill and kill <= t <= kill + 10)} within 10 s"
                " of the kill)"
            )
            print(f"  requests lost (connection cut mid-request): {len(lost)}")
            by_second = Counter(int(s.at + s.ms / 1000 - zero) for s in errors_5xx)
            print(
                "  5xx from Steward by second of their answer: "
                + (", ".join(f"t+{t} s: {n}" for t, n in sorted(by_second.items())) or "none")
            )
            print(
                f"  5xx from Steward: {len(inside)} inside the database window,"
                f" {len(outside)} outside"
            )
            unexpected = [(m.name, e) for m in webs + workers for e in m.unexpected_exits]
            print(
                f"  processes that exited by themselves (restarted by the supervisor):"
                f" {len(unexpected)}"
            )
            for name_, (when, status) in unexpected:
                print(f"    {name_} at {at(when)}, exit status {status}")
            for when, what in events:
                print(f"    {at(when)} {what}")
    finally:
        if args.keep:
            print(f"kept folder: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    print()
    print("== Checks ==")
    for name_, passed, figures in report.checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {name_}: {figures}")
    return 0 if report.checks and all(passed for _, passed, _ in report.checks) else 1


if __name__ == "__main__":
    sys.exit(main())
