"""The clients of the load benchmark: threads that each make a weighted random mix of what
Steward's users do, over HTTP, until the time or the request budget runs out.

Each client picks one of the web processes per request, round robin, as a load balancer
would: a connection that is refused (a process that is down) is tried on the next one and
counted as a retry. Like a load balancer's upstream keep-alive, a client's connection to a
web process is not reused after IDLE_LIMIT seconds idle, so it never races gunicorn closing
it (after 2 s). Every request is timed and recorded with its kind, step, status and
wall-clock time; a connection cut in the middle of a request is recorded as "lost"
(status -1), a timeout as status -2. GETs, order creations (Idempotency-Key), payment
confirmations and upload completions are idempotent, so the client sends them again after
a loss or a 5xx (up to RETRIES times, each attempt recorded); other requests are not
repeated and their operation counts as failed."""

import hashlib
import io
import itertools
import os
import queue
import random
import tarfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from installation import loopback_session
from urllib3.exceptions import NewConnectionError

CONNECT_TIMEOUT = 5  # seconds
READ_TIMEOUT = 60  # seconds for one answer (a completion hashes the file inline)
RETRIES = 4  # further attempts of an idempotent request after a loss or a 5xx
RETRY_PAUSE = 1.0  # seconds between them
DOWN_MARK = 1.0  # seconds a refused port is skipped
IDLE_LIMIT = 1.0  # seconds a kept-alive connection may wait unused (gunicorn closes at 2)
MiB = 1024 * 1024
LOST, TIMEOUT = -1, -2

# What the clients do, and how often (weights of a random choice per operation).
WEIGHTS = {
    "browse": 30,
    "search": 15,
    "assistant": 10,
    "download": 15,
    "upload": 6,
    "access request": 10,
    "order": 10,
}
PAGES = ("/", "/datasets", "/languages", "/datasets?q=swahili", None)  # None: a dataset page
QUERIES = (
    "swahili",
    "lingala",
    "speech",
    "suajili",
    "reconnaissance vocale",
    "hausa tts",
    "yoruba",
    "romansh text",
    "radio",
    "translation",
)
QUESTIONS = (
    "Kiswahili speech recognition data for my startup, free only",
    "Yoruba text for machine translation",
    "languages spoken in Nigeria, for speech synthesis",
    "langues du Congo pour la reconnaissance vocale",
    "Romansh read speech for research",
    "Hazaragi oral histories, under $50",
    "West African languages with a sample",
)
ASK = {  # the body of an access request (answers to no questions)
    "purpose": "research",
    "country": "KE",
    "organizationName": "University of Nairobi",
    "organizationType": "academic",
    "intendedUse": "Speech recognition research (load benchmark).",
    "acceptTerms": True,
}
SMALL_UPLOAD = 192 * 1024  # a one-part upload, checked inside the completion
LARGE_UPLOAD = 5 * MiB + 512 * 1024  # two parts, checked by a task worker
LARGE_SHARE = 0.25  # of the uploads


class Budget(Exception):
    """The request budget or the time is used up: the client stops."""


class Failed(Exception):
    """An operation could not go on (the request that failed is recorded already).
    `reason` is short, for counting: the step and its status."""

    def __init__(self, detail: str, reason: str = "wrong answer"):
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class Sample:
    kind: str
    step: str
    at: float  # time.time() when the request was sent
    ms: float
    status: int  # HTTP status, LOST or TIMEOUT
    s3: bool  # a request to the S3 server, not to Steward
    ok: bool  # the status this step expects


@dataclass
class Fixture:
    """What setup made for the clients."""

    ports: list[int]
    staff_key: str
    buyer_keys: list[str]
    uploader_keys: list[str]
    open_datasets: list[tuple[str, int, str]]  # (id, size, sha256)
    page_slugs: list[str]
    order_pairs: list[tuple[int, str]]  # (buyer index, paid dataset id)
    request_pairs: list[tuple[int, str]]  # (buyer index, dataset id needing approval)


@dataclass
class Upload:
    file_upload_id: str
    submission_id: str
    sha256: str
    size: int
    status: str  # as the completion answered


@dataclass
class Order:
    buyer: int
    dataset_id: str
    key: str
    order_ids: set[str] = field(default_factory=set)  # every order id answered for the key
    paid: bool = False
    download_after_payment: bool = False


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    operations: Counter = field(default_factory=Counter)  # (kind, "ok"|reason) -> count
    refused: list[float] = field(default_factory=list)  # times of connections refused
    uploads: list[Upload] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    downloads_verified: int = 0
    download_mismatches: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # the first few, in words
    lock: threading.Lock = field(default_factory=threading.Lock)


class Balancer:
    """Round robin over the web processes' ports, skipping one for DOWN_MARK seconds after
    it refused a connection."""

    def __init__(self, ports: list[int]):
        self.ports = ports
        self.down_until = dict.fromkeys(ports, 0.0)
        self.turn = itertools.count()
        self.lock = threading.Lock()

    def pick(self, tried: set[int]) -> int:
        with self.lock:
            now = time.monotonic()
            start = next(self.turn)
            order = [self.ports[(start + i) % len(self.ports)] for i in range(len(self.ports))]
            for port in order:
                if port not in tried and self.down_until[port] <= now:
                    return port
            untried = [p for p in order if p not in tried]
            return (untried or order)[0]

    def mark_down(self, port: int) -> None:
        with self.lock:
            self.down_until[port] = time.monotonic() + DOWN_MARK


def _refused(exc: requests.ConnectionError) -> bool:
    """The connection was never made (nothing was sent): safe to send elsewhere."""
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    return isinstance(reason, NewConnectionError) or isinstance(exc, requests.ConnectTimeout)


def summary(response: requests.Response) -> str:
    """An answer in a few words: an HTML page's title, else the start of the body."""
    text = response.text
    if "<title>" in text:
        return text.split("<title>", 1)[1].split("</title>", 1)[0].strip()
    return " ".join(text.split())[:200]


def make_archive(size: int, seed: str) -> bytes:
    """A .tar.gz of about `size` bytes: a few lines of text and random bytes (incompressible,
    so the archive's size is what was asked)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", compresslevel=1) as archive:
        text = "\n".join(f"Habari ya asubuhi, sentensi {n} ({seed})." for n in range(50))
        for name, body in (
            ("load/transcripts.txt", text.encode()),
            ("load/noise.bin", os.urandom(max(0, size - 4096))),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(body), 1_700_000_000
            archive.addfile(info, io.BytesIO(body))
    return out.getvalue()


class Client:
    def __init__(self, number: int, mix: "Mix"):
        self.number, self.mix = number, mix
        self.random = random.Random(mix.seed * 1000 + number)
        self.s3_session = loopback_session()
        self.sessions: dict[int, tuple[requests.Session, float]] = {}  # port -> (it, last use)
        self.uploader_key = mix.fixture.uploader_keys[number % len(mix.fixture.uploader_keys)]

    # --- requests --------------------------------------------------------------------------

    def session_for(self, port: int) -> requests.Session:
        """The keep-alive session to one web process; a new one after IDLE_LIMIT seconds
        unused, before the server may close the connection (gunicorn's keepalive): a request
        sent just as the server closes it would be cut for nothing, as a load balancer's
        upstream keep-alive time shorter than the server's avoids."""
        session, last = self.sessions.get(port, (None, 0.0))
        if session is not None and time.monotonic() - last > IDLE_LIMIT:
            session.close()
            session = None
        if session is None:
            session = loopback_session()
        self.sessions[port] = (session, time.monotonic())
        return session

    def _record(
        self, kind: str, step: str, at: float, started: int, status: int, s3: bool, ok: bool
    ) -> None:
        ms = (time.perf_counter_ns() - started) / 1e6
        with self.mix.results.lock:
            self.mix.results.samples.append(Sample(kind, step, at, ms, status, s3, ok))

    def steward(
        self,
        kind: str,
        step: str,
        method: str,
        path: str,
        *,
        key: str | None = None,
        expect: tuple[int, ...] = (200,),
        idempotent: bool = False,
        **kwargs,
    ) -> requests.Response:
        """One request to Steward through the balancer; the response with an expected
        status, else Failed (after the retries an idempotent request gets)."""
        headers = dict(kwargs.pop("headers", {}))
        if key:
            headers["Authorization"] = f"Bearer {key}"
        kwargs.setdefault("timeout", (CONNECT_TIMEOUT, READ_TIMEOUT))
        kwargs.setdefault("allow_redirects", False)
        tried: set[int] = set()
        attempts = 0
        while True:
            self.mix.spend()
            port = self.mix.balancer.pick(tried)
            at, started = time.time(), time.perf_counter_ns()
            try:
                response = self.session_for(port).request(
                    method, f"http://127.0.0.1:{port}{path}", headers=headers, **kwargs
                )
                self.sessions[port] = (self.sessions[port][0], time.monotonic())
            except requests.ConnectionError as exc:
                if _refused(exc):
                    # Nothing reached a server: send it to another process, as a load
                    # balancer does; counted as a retry, not as a request.
                    self.mix.balancer.mark_down(port)
                    with self.mix.results.lock:
                        self.mix.results.refused.append(at)
                    tried.add(port)
                    if len(tried) >= len(self.mix.fixture.ports):
                        tried.clear()
                        time.sleep(0.2)
                    continue
                self._record(kind, step, at, started, LOST, False, False)
                status, detail = LOST, f"connection lost: {exc}"
            except requests.Timeout as exc:
                self._record(kind, step, at, started, TIMEOUT, False, False)
                status, detail = TIMEOUT, f"timeout: {exc}"
            else:
                ok = response.status_code in expect
                self._record(kind, step, at, started, response.status_code, False, ok)
                if ok:
                    return response
                status, detail = response.status_code, summary(response)
            attempts += 1
            if idempotent and (status < 0 or status >= 500) and attempts <= RETRIES:
                time.sleep(RETRY_PAUSE)
                continue
            reason = {LOST: "lost", TIMEOUT: "timeout"}.get(status, str(status))
            raise Failed(f"{kind}/{step}: {status} {detail}", f"{step}: {reason}")

    def s3(self, kind: str, step: str, method: str, url: str, expect: int, **kwargs):
        """One request to the S3 server (part uploads, downloads after the redirect)."""
        self.mix.spend()
        at, started = time.time(), time.perf_counter_ns()
        try:
            response = self.s3_session.request(
                method, url, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), **kwargs
            )
        except requests.RequestException as exc:
            self._record(kind, step, at, started, LOST, True, False)
            raise Failed(f"{kind}/{step}: {exc}", f"{step}: lost") from None
        ok = response.status_code == expect
        self._record(kind, step, at, started, response.status_code, True, ok)
        if not ok:
            raise Failed(
                f"{kind}/{step}: {response.status_code} {summary(response)}",
                f"{step}: {response.status_code}",
            )
        return response

    # --- operations ------------------------------------------------------------------------

    def browse(self) -> None:
        page = self.random.choice(PAGES)
        if page is None:
            page = f"/datasets/{self.random.choice(self.mix.fixture.page_slugs)}"
        step = "dataset page" if page.startswith("/datasets/") else f"GET {page.split('?')[0]}"
        self.steward("browse", step, "GET", page, idempotent=True)

    def search(self) -> None:
        query = self.random.choice(QUERIES)
        response = self.steward(
            "search",
            "GET /api/datasets?q=",
            "GET",
            "/api/datasets",
            params={"q": query, "limit": 10},
            idempotent=True,
        )
        if "items" not in response.json():
            raise Failed(f"search: no items in {response.text[:200]}")

    def assistant(self) -> None:
        body = {"messages": [{"role": "user", "content": self.random.choice(QUESTIONS)}]}
        response = self.steward(
            "assistant", "POST /api/assistant/chat", "POST", "/api/assistant/chat", json=body
        )
        if "reply" not in response.json():
            raise Failed(f"assistant: no reply in {response.text[:200]}")

    def _link_then_s3(self, kind: str, link_path: str, byte_range: str) -> bytes:
        """GET the signed link (a redirect to the bucket), then the range from the bucket."""
        redirect = self.steward(
            kind, "GET link (302)", "GET", link_path, expect=(302,), idempotent=True
        )
        response = self.s3(
            kind,
            "S3 GET Range",
            "GET",
            redirect.headers["Location"],
            206,
            headers={"Range": byte_range},
        )
        return response.content

    def download(self, dataset_id: str, key: str, kind: str = "download") -> None:
        """A download session: the link, the first bytes, then the rest; the whole must hash
        to what Steward recorded and to what setup stored."""
        session = self.steward(
            kind, "POST .../download", "POST", f"/api/datasets/{dataset_id}/download", key=key
        ).json()
        size = int(session["sizeBytes"])
        expected = self.mix.known_sha256.get(dataset_id, session["checksum"])
        link = urlsplit(session["downloadUrl"])
        link_path = link.path + (f"?{link.query}" if link.query else "")
        cut = self.random.randint(1, max(1, size - 1))
        head = self._link_then_s3(kind, link_path, f"bytes=0-{cut - 1}")
        tail = self._link_then_s3(kind, link_path, f"bytes={cut}-")
        whole = hashlib.sha256(head + tail).hexdigest()
        with self.mix.results.lock:
            if len(head) + len(tail) == size and whole == expected == session["checksum"]:
                self.mix.results.downloads_verified += 1
            else:
                self.mix.results.download_mismatches.append(
                    f"{dataset_id}: {len(head) + len(tail)} of {size} bytes, sha256 {whole},"
                    f" expected {expected}, session says {session['checksum']}"
                )
        if whole != expected:
            raise Failed(f"{kind}: the bytes of {dataset_id} do not hash to {expected}")

    def open_download(self) -> None:
        dataset_id, _size, _sha = self.random.choice(self.mix.fixture.open_datasets)
        self.download(dataset_id, self.random.choice(self.mix.fixture.buyer_keys))

    def upload(self) -> None:
        """The SDK's multipart flow: a draft, the upload, each part PUT to its presigned URL,
        then the completion with the ETags and the SHA-256."""
        large = self.random.random() < LARGE_SHARE
        data = (
            self.mix.large_archives[self.random.randrange(len(self.mix.large_archives))]
            if large
            else make_archive(SMALL_UPLOAD, f"{self.number}-{time.time_ns()}")
        )
        sha256 = hashlib.sha256(data).hexdigest()
        key = self.uploader_key
        draft = self.steward(
            "upload",
            "POST /api/submissions",
            "POST",
            "/api/submissions",
            key=key,
            json={"name": f"Load upload {uuid.uuid4().hex[:12]}"},
        )
        submission_id = draft.json()["submission"]["id"]
        started = self.steward(
            "upload",
            "POST /api/uploads",
            "POST",
            "/api/uploads",
            key=key,
            json={
                "submissionId": submission_id,
                "filename": "load.tar.gz",
                "fileSize": len(data),
                "mimeType": "application/gzip",
            },
        ).json()
        file_upload_id = started["fileUploadId"]
        part_size = 5 * MiB
        parts = []
        for number, offset in enumerate(range(0, len(data), part_size), start=1):
            url = self.steward(
                "upload",
                "GET part URL",
                "GET",
                f"/api/uploads/{file_upload_id}/parts/{number}",
                key=key,
                idempotent=True,
            ).json()["url"]
            put = self.s3(
                "upload", "S3 PUT part", "PUT", url, 200, data=data[offset : offset + part_size]
            )
            parts.append({"partNumber": number, "etag": put.headers["ETag"].strip('"')})
        done = self.steward(
            "upload",
            "POST complete",
            "POST",
            f"/api/uploads/{file_upload_id}",
            key=key,
            json={"uploadId": started["uploadId"], "parts": parts, "checksum": sha256},
            idempotent=True,
        ).json()
        with self.mix.results.lock:
            self.mix.results.uploads.append(
                Upload(file_upload_id, submission_id, sha256, len(data), done["status"])
            )

    def access_request(self) -> None:
        try:
            buyer, dataset_id = self.mix.request_pairs.get_nowait()
        except queue.Empty:
            return self.browse()
        answer = self.steward(
            "access request",
            "POST .../access-requests",
            "POST",
            f"/api/datasets/{dataset_id}/access-requests",
            key=self.mix.fixture.buyer_keys[buyer],
            json=ASK,
            expect=(201,),
        ).json()
        if answer["status"] != "pending":
            raise Failed(f"access request: {answer['status']}, not pending")

    def order(self) -> None:
        """Access to a paid dataset end to end: the request (approved at once, with a price),
        the order with an Idempotency-Key, the same order again, staff's payment
        confirmation, and a download session that the payment now allows."""
        try:
            buyer, dataset_id = self.mix.order_pairs.get_nowait()
        except queue.Empty:
            return self.browse()
        key = self.mix.fixture.buyer_keys[buyer]
        answer = self.steward(
            "order",
            "POST .../access-requests",
            "POST",
            f"/api/datasets/{dataset_id}/access-requests",
            key=key,
            json=ASK,
            expect=(201,),
        ).json()
        if answer["status"] != "approved":
            raise Failed(f"order: access request {answer['status']}, not approved")
        order = Order(buyer, dataset_id, str(uuid.uuid4()))
        with self.mix.results.lock:
            self.mix.results.orders.append(order)
        headers = {"Idempotency-Key": order.key}
        body = {"datasetId": dataset_id}
        first = self.steward(
            "order",
            "POST /api/orders",
            "POST",
            "/api/orders",
            key=key,
            headers=headers,
            json=body,
            expect=(200, 201),
            idempotent=True,
        )
        order.order_ids.add(first.json()["id"])
        again = self.steward(
            "order",
            "POST /api/orders (same key)",
            "POST",
            "/api/orders",
            key=key,
            headers=headers,
            json=body,
            expect=(200,),
            idempotent=True,
        )
        order.order_ids.add(again.json()["id"])
        if self.random.random() < 0.3:
            # Another key for the same unpaid access: the order waiting is answered again.
            other = self.steward(
                "order",
                "POST /api/orders (new key)",
                "POST",
                "/api/orders",
                key=key,
                headers={"Idempotency-Key": str(uuid.uuid4())},
                json=body,
                expect=(200,),
                idempotent=True,
            )
            order.order_ids.add(other.json()["id"])
        if len(order.order_ids) != 1:
            raise Failed(f"order: one key answered several orders {sorted(order.order_ids)}")
        (order_id,) = order.order_ids
        paid = self.steward(
            "order",
            "POST mark-paid (staff)",
            "POST",
            f"/api/orders/{order_id}/mark-paid",
            key=self.mix.fixture.staff_key,
            json={"reference": f"load-{order_id}"},
            idempotent=True,
        ).json()
        if paid["status"] != "paid":
            raise Failed(f"order: mark-paid answered {paid['status']}")
        order.paid = True
        self.steward(
            "order",
            "POST .../download (paid)",
            "POST",
            f"/api/datasets/{dataset_id}/download",
            key=key,
        )
        order.download_after_payment = True

    # --- the loop --------------------------------------------------------------------------

    def run(self) -> None:
        operations = {
            "browse": self.browse,
            "search": self.search,
            "assistant": self.assistant,
            "download": self.open_download,
            "upload": self.upload,
            "access request": self.access_request,
            "order": self.order,
        }
        kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
        try:
            while True:
                kind = self.random.choices(kinds, weights)[0]
                try:
                    operations[kind]()
                except Failed as exc:
                    self.mix.failed(kind, exc.reason, str(exc))
                except Budget:
                    raise
                except Exception as exc:  # noqa: BLE001 - counted; the client goes on
                    self.mix.failed(kind, type(exc).__name__, f"{type(exc).__name__}: {exc}")
                else:
                    with self.mix.results.lock:
                        self.mix.results.operations[(kind, "ok")] += 1
        except Budget:
            pass
        finally:
            self.s3_session.close()
            for session, _last in self.sessions.values():
                session.close()


class Mix:
    """`clients` threads making the mix until `seconds` pass or `max_requests` are sent."""

    def __init__(self, fixture: Fixture, clients: int, seconds: float, max_requests: int, seed=1):
        self.fixture, self.clients, self.seed = fixture, clients, seed
        self.seconds, self.max_requests = seconds, max_requests
        self.balancer = Balancer(fixture.ports)
        self.results = Results()
        self.known_sha256 = {d: sha for d, _size, sha in fixture.open_datasets}
        shuffle = random.Random(seed)
        self.order_pairs: queue.SimpleQueue = queue.SimpleQueue()
        self.request_pairs: queue.SimpleQueue = queue.SimpleQueue()
        for pool, pairs in (
            (self.order_pairs, fixture.order_pairs),
            (self.request_pairs, fixture.request_pairs),
        ):
            pairs = list(pairs)
            shuffle.shuffle(pairs)
            for pair in pairs:
                pool.put(pair)
        # A few large archives made once: making 5 MiB of random gzip per upload would load
        # the clients' share of the CPU.
        self.large_archives = [make_archive(LARGE_UPLOAD, f"large-{n}") for n in range(4)]
        self.sent = 0
        self.sent_lock = threading.Lock()
        self.deadline = 0.0
        self.started = self.ended = 0.0

    def spend(self) -> None:
        with self.sent_lock:
            if self.sent >= self.max_requests or time.monotonic() >= self.deadline:
                raise Budget
            self.sent += 1

    def failed(self, kind: str, reason: str, detail: str) -> None:
        with self.results.lock:
            self.results.operations[(kind, reason)] += 1
            # One example of each kind of failure.
            if self.results.operations[(kind, reason)] == 1 and len(self.results.failures) < 20:
                self.results.failures.append(f"{time.strftime('%H:%M:%S')} {kind}: {detail}")

    def run(self) -> None:
        threads = [
            threading.Thread(target=Client(n, self).run, name=f"client-{n}", daemon=True)
            for n in range(self.clients)
        ]
        self.started = time.time()
        self.deadline = time.monotonic() + self.seconds
        for thread in threads:
            thread.start()
        # A request in flight at the deadline may take READ_TIMEOUT, and its retries more.
        limit = self.seconds + (RETRIES + 1) * (READ_TIMEOUT + RETRY_PAUSE) + 10
        end = time.monotonic() + limit
        for thread in threads:
            thread.join(max(0.1, end - time.monotonic()))
        self.ended = time.time()
        if any(thread.is_alive() for thread in threads):
            raise TimeoutError(f"clients still running {limit:.0f} s after the start")
