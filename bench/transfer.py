"""Transfer benchmark: download and upload speed of a large archive, and the server's memory.

What it measures, on a fresh Steward installation in a temporary folder, on loopback:

1. Setup. `steward migrate`; a user, an approved organization and an API key made with the
   CLI (`steward users add`, `steward orgs add --approved`, `steward apikeys create`); a file
   of random bytes (--size-mib, default 1024 MiB) and one a quarter of its size, written in
   1 MiB blocks (never held in memory), each published as a dataset's archive by a few lines
   run through `steward shell -c` (storage's store_blob, then catalog's publish_dataset).
2. Reference. nginx from Debian's packages (installed with `apt-get install -y nginx` when it
   is missing) with its own minimal configuration in the temporary folder (`sendfile on`,
   pid and logs in the folder, a free loopback port) serving the same stored files, and
   taking PUTs into the folder for the upload reference.
   Steward runs as `steward serve --workers N` (gunicorn) on another free loopback port.
3. Download. Each path is fetched once with its size and SHA-256 checked (a warm-up too),
   then `--repeat` times alternately (nginx, Steward, nginx, Steward...): a GET of the whole
   file from nginx, and the full Steward path, POST /api/datasets/{id}/download with the
   key then a GET of the signed link. The body is read with requests' iter_content(1 MiB)
   and thrown away. A `Range: bytes=N-` GET of the Steward link must answer 206 with
   exactly the tail. Reports MB/s (1 MB = 10^6 bytes; median of the repetitions) and the
   ratio Steward/nginx. Target: >= 0.8.
4. Upload. The same file through the MDC multipart flow: POST /api/submissions (a draft),
   POST /api/uploads, then for each 64 MiB part GET its URL and PUT the bytes streamed from
   the file (4 parts in flight, one thread and connection each), then POST the completion
   with the parts and the SHA-256 (computed before the clock starts, as the file was
   written). Reports MB/s from the first request to the completion's answer (median of
   `--repeat` rounds) and its ratio to nginx's download MB/s. Target: >= 0.4. As a
   reference for what this machine can write, each round first PUTs the same parts to
   nginx's WebDAV module (which writes each body to a file), and dirty pages are flushed
   (os.sync) before each upload so no round pays for the previous one's writes. Steward
   writes parts with direct I/O, so each round ends by writing the file's size with direct
   I/O (1 MiB blocks, PARTS_IN_FLIGHT writers) as a reference for what the disk takes. A file
   above STEWARD_INLINE_VERIFY_BYTES (256 MiB by default) is hashed after the completion by
   `steward worker`, which runs during this phase; the time from the completion's answer
   to the upload being "completed" is reported on its own.
5. Memory. A thread reads VmRSS (and Pss) of the server's process tree (gunicorn's master
   and workers) every 100 ms. Reports the peak of each phase: idle, the quarter-size
   download (done first), the full-size downloads and the uploads. Target: the tree's Pss
   peak under 200 MB, and the full-size downloads' RSS peak no more than 16 MB above the
   quarter-size one's (memory must not grow with the file). RSS counts pages the workers
   share with the master once per process, so its sum is an upper bound, shown too; Pss
   shares them out and sums to the memory the server really holds.

The client runs on the same machine as the servers and shares its cores: figures are for
comparison between the two servers, not absolute capacities.

Every request has a timeout, every transfer a time limit, every loop a bound in count and
time. nginx, the server and the worker are always stopped and the temporary folder removed
(unless --keep). It prints a summary with each figure, its target and PASS/FAIL, and exits
0 whatever the figures are (it reports, it does not assert); a crash exits non-zero.

Run it with the project's virtualenv (`make bench-transfer` does `python bench/transfer.py`):

    python bench/transfer.py                   # 1 GiB, 2 workers, 3 repetitions
    python bench/transfer.py --size-mib 128 --repeat 2
    python bench/transfer.py --keep            # keep the folder (logs, nginx.conf, files)
"""

import argparse
import hashlib
import mmap
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

MiB = 1024 * 1024
BLOCK = MiB  # file generation, hashing, client reads and part bodies
PART_SIZE = 64 * MiB
PARTS_IN_FLIGHT = 4
CONNECT_TIMEOUT = 10  # seconds
READ_TIMEOUT = 120  # seconds without a byte
COMPLETION_TIMEOUT = 600  # the completion may hash the file inline
TRANSFER_TIME_LIMIT = 900  # seconds for one whole transfer
VERIFY_TIME_LIMIT = 900  # seconds for the worker's checksum of an upload
SERVER_START_TIMEOUT = 60
NGINX_START_TIMEOUT = 15
INSTALL_TIMEOUT = 900
STOP_TIMEOUT = 15
SAMPLE_INTERVAL = 0.1  # seconds between memory samples
MAX_SAMPLES = 200_000  # a bound on the sampler besides its stop event (~5.5 h)
POLL_INTERVAL = 0.25
DEFAULT_INLINE_VERIFY_BYTES = 256 * MiB  # steward.settings.STEWARD_INLINE_VERIFY_BYTES

# Targets.
DOWNLOAD_RATIO_TARGET = 0.8
UPLOAD_RATIO_TARGET = 0.4
PEAK_RSS_TARGET_MB = 200.0
RSS_GROWTH_TARGET_MB = 16.0

ORG = "bench-transfer"
USER = "bench"

# Run by `steward shell -c`: store each file as a blob and publish it as a dataset's
# archive, through the services the product uses. Prints one BENCH line per dataset.
PUBLISH_HELPER = """
import os
from steward.catalog.datasheet import clean_datasheet
from steward.catalog.services import VersionFiles, publish_dataset
from steward.organizations.models import Organization
from steward.storage.services import store_blob

organization = Organization.objects.get(slug=os.environ["BENCH_ORG"])
for spec in os.environ["BENCH_DATASETS"].split(";"):
    slug, path = spec.split("=", 1)
    filename = slug + ".tar.gz"
    with open(path, "rb") as source:
        blob = store_blob(
            source, prefix="bench", filename=filename, content_type="application/gzip"
        )
    sheet = clean_datasheet({
        "name": "Transfer benchmark " + slug,
        "shortDescription": "Random bytes for the transfer benchmark.",
        "longDescription": "Random bytes, published to measure downloads.",
        "locale": "en",
        "task": "ASR",
        "format": "WAV",
        "licenseAbbreviation": "CC0-1.0",
        "visibility": "public",
    })
    files = VersionFiles(archive=blob, archive_name=filename)
    dataset = publish_dataset(organization, sheet=sheet, slug=slug, files=files)
    print("BENCH", slug, dataset.public_id, blob.key, blob.size_bytes, blob.sha256)
"""


# --- Files ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    path: Path
    size: int
    sha256: str


def write_random_file(path: Path, size: int) -> SourceFile:
    """`size` random bytes written 1 MiB at a time; the SHA-256 is computed on the way."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        left = size
        while left > 0:  # bounded: `left` falls by at least one byte per turn
            block = os.urandom(min(BLOCK, left))
            digest.update(block)
            out.write(block)
            left -= len(block)
    return SourceFile(path, size, digest.hexdigest())


def sha256_of_range(path: Path, start: int, length: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        source.seek(start)
        left = length
        while left > 0:
            block = source.read(min(BLOCK, left))
            if not block:
                break
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


class FileSlice:
    """`length` bytes of a file from `offset`, as a request body: requests sends its len()
    as Content-Length and urllib3 sends each 1 MiB block as it is read, so a part is never
    held in memory whole."""

    def __init__(self, path: Path, offset: int, length: int):
        self.path, self.offset, self.length = path, offset, length

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[bytes]:
        with self.path.open("rb") as source:
            source.seek(self.offset)
            left = self.length
            while left > 0:
                block = source.read(min(BLOCK, left))
                if not block:
                    raise RuntimeError(f"{self.path} ended early")
                left -= len(block)
                yield block


# --- Processes -----------------------------------------------------------------------------


def steward_command() -> list[str]:
    script = Path(sys.executable).with_name("steward")
    if script.exists():
        return [str(script)]
    found = shutil.which("steward")
    return [found] if found else [sys.executable, "-m", "steward"]


def steward_env(home: Path, base_url: str) -> dict[str, str]:
    env = dict(os.environ, STEWARD_HOME=str(home), STEWARD_BASE_URL=base_url)
    for name in ("DATABASE_URL", "STEWARD_DEBUG", "STEWARD_S3_BUCKET", "STEWARD_DOWNLOAD_MODE"):
        env.pop(name, None)
    return env


def run_steward(args: list[str], env: dict[str, str], extra_env: dict | None = None) -> str:
    """Run a steward command; its stdout. A failure raises."""
    done = subprocess.run(
        [*steward_command(), *args],
        env={**env, **(extra_env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=TRANSFER_TIME_LIMIT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"steward {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def loopback_session() -> requests.Session:
    """A keep-alive session that ignores proxy settings from the environment."""
    session = requests.Session()
    session.trust_env = False
    return session


def stop_group(process: subprocess.Popen, first: int = signal.SIGTERM) -> None:
    """Stop a process started in its own session, with its children (gunicorn's or nginx's
    workers): `first`, then SIGKILL."""
    if process.poll() is not None:
        return
    for sig in (first, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=STOP_TIMEOUT)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_until_ok(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with loopback_session() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{process.args[0]} exited ({process.returncode}):\n"
                    f"{log.read_text(errors='replace')[-4000:]}"
                )
            try:
                if session.get(url, timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:g} s")


@contextmanager
def background(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("w") as log_file:
        process = subprocess.Popen(
            args,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop_group reaches children
        )
        try:
            yield process
        finally:
            stop_group(process)


def find_nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def ensure_nginx() -> str:
    """The nginx binary; installed from Debian's packages when it is missing."""
    found = find_nginx()
    if found:
        print(f"  nginx: {found}")
        return found
    if not shutil.which("apt-get"):
        raise RuntimeError("nginx is missing and there is no apt-get to install it")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    command = ["apt-get", "install", "-y", "--no-install-recommends", "nginx"]
    print(f"  nginx is missing: running {' '.join(command)}")
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
    )
    if done.returncode != 0:
        print("  apt-get install failed; running apt-get update, then the install again")
        subprocess.run(
            ["apt-get", "update"], env=env, capture_output=True, timeout=INSTALL_TIMEOUT, check=True
        )
        subprocess.run(command, env=env, capture_output=True, timeout=INSTALL_TIMEOUT, check=True)
    found = find_nginx()
    if not found:
        raise RuntimeError("apt-get installed nginx but no nginx binary was found")
    print(f"  nginx installed: {found}")
    return found


def nginx_config(folder: Path, files_dir: Path, port: int, workers: int) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""  # stored files are mode 0600
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in [*temp.values(), folder / "put"]:
        path.mkdir(exist_ok=True)
    return f"""# Written by bench/transfer.py: Steward's stored files, and PUTs into put/.
{user}daemon off;
worker_processes {workers};
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 256; }}
http {{
    access_log {folder / "access.log"};
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    types {{ application/gzip gz tgz; }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        location /files/ {{ alias {files_dir}/; }}
        location /put/ {{
            alias {folder / "put"}/;
            dav_methods PUT;
            client_max_body_size 0;
        }}
        location / {{ return 404; }}
    }}
}}
"""


# --- Memory --------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return []
    children = []
    for task in tasks:
        try:
            children += [
                int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()
            ]
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return children


def process_tree(root: int) -> list[int]:
    pids, queue = [], [root]
    while queue and len(pids) < 1000:
        pid = queue.pop()
        pids.append(pid)
        queue += _children(pid)
    return pids


def _kib(path: str, label: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(label):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
        pass
    return 0


def print_processes(root: int) -> None:
    """Each process of the tree now: RSS, Pss and private (unshared) memory, in MB."""
    print(f"  {'pid':8} {'process':36} {'RSS MB':>8} {'Pss MB':>8} {'private MB':>11}")
    for pid in process_tree(root):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, ProcessLookupError):
            continue
        role = "master: " if pid == root else "worker: "
        rollup = f"/proc/{pid}/smaps_rollup"
        rss = _kib(f"/proc/{pid}/status", "VmRSS:")
        private = _kib(rollup, "Private_Clean:") + _kib(rollup, "Private_Dirty:")
        mb = [kib * 1024 / 1e6 for kib in (rss, _kib(rollup, "Pss:"), private)]
        print(f"  {pid:<8} {role + command[:28]:36} {mb[0]:8.1f} {mb[1]:8.1f} {mb[2]:11.1f}")


def tree_memory(root: int) -> tuple[float, float, int]:
    """(RSS MB, Pss MB, process count) of `root` and its descendants."""
    pids = process_tree(root)
    rss = sum(_kib(f"/proc/{pid}/status", "VmRSS:") for pid in pids)
    pss = sum(_kib(f"/proc/{pid}/smaps_rollup", "Pss:") for pid in pids)
    return rss * 1024 / 1e6, pss * 1024 / 1e6, len(pids)


@dataclass
class Peak:
    rss: float = 0.0
    pss: float = 0.0
    processes: int = 0
    samples: int = 0


class MemorySampler:
    """Samples the tree of `root` every SAMPLE_INTERVAL in a thread; `phase` labels what the
    main thread is doing, and each phase keeps its peak."""

    def __init__(self, root: int):
        self.root = root
        self.phase = "idle, before transfers"
        self.peaks: dict[str, Peak] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for _ in range(MAX_SAMPLES):
            rss, pss, count = tree_memory(self.root)
            peak = self.peaks.setdefault(self.phase, Peak())
            peak.rss, peak.pss = max(peak.rss, rss), max(peak.pss, pss)
            peak.processes = max(peak.processes, count)
            peak.samples += 1
            if self._stop.wait(SAMPLE_INTERVAL):
                return

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @contextmanager
    def during(self, phase: str) -> Iterator[None]:
        self.phase = phase
        try:
            yield
        finally:
            time.sleep(2 * SAMPLE_INTERVAL)  # let the last samples of the phase land
            self.phase = "between phases"


# --- Transfers -----------------------------------------------------------------------------


@dataclass
class Fetched:
    status: int
    size: int
    seconds: float  # from the request (or the download session's POST) to the last byte
    sha256: str = ""
    headers: dict = field(default_factory=dict)
    session_seconds: float = 0.0  # Steward: the POST that starts the download session

    @property
    def mb_s(self) -> float:
        return self.size / self.seconds / 1e6 if self.seconds else 0.0


def fetch(
    session: requests.Session,
    url: str,
    *,
    expected: int,
    started: float | None = None,
    hashed: bool = False,
    headers: dict | None = None,
) -> Fetched:
    """GET `url` and read the body 1 MiB at a time, discarding it (or hashing it)."""
    started = time.perf_counter() if started is None else started
    deadline = time.monotonic() + TRANSFER_TIME_LIMIT
    digest = hashlib.sha256() if hashed else None
    size = 0
    with session.get(
        url, stream=True, headers=headers, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)
    ) as response:
        if response.status_code not in (200, 206):
            raise RuntimeError(f"GET {url} -> {response.status_code}: {response.text[:500]}")
        for block in response.iter_content(BLOCK):
            size += len(block)
            if digest is not None:
                digest.update(block)
            if size > expected:
                raise RuntimeError(f"GET {url}: more than the {expected} bytes expected")
            if time.monotonic() > deadline:
                raise TimeoutError(f"GET {url}: over {TRANSFER_TIME_LIMIT} s")
        seconds = time.perf_counter() - started
        return Fetched(
            response.status_code,
            size,
            seconds,
            digest.hexdigest() if digest else "",
            dict(response.headers),
        )


class Steward:
    """The API as a client with the key uses it."""

    def __init__(self, base: str, key: str):
        self.base, self.key = base, key
        self.session = loopback_session()
        self.session.headers["Authorization"] = f"Bearer {key}"
        self.files = loopback_session()  # signed URLs: no credentials

    def call(self, method: str, path: str, timeout: float = READ_TIMEOUT, **kwargs) -> dict:
        url = path if path.startswith("http") else f"{self.base}{path}"
        response = self.session.request(method, url, timeout=(CONNECT_TIMEOUT, timeout), **kwargs)
        if response.status_code != 200:
            raise RuntimeError(f"{method} {path} -> {response.status_code}: {response.text[:500]}")
        return response.json()

    def download(self, dataset_id: str, expected: int, hashed: bool = False) -> Fetched:
        """The full path: ask for a download session, then GET the signed link."""
        started = time.perf_counter()
        session = self.call("POST", f"/api/datasets/{dataset_id}/download")
        session_seconds = time.perf_counter() - started
        if int(session["sizeBytes"]) != expected:
            raise RuntimeError(f"the session reports {session['sizeBytes']} bytes")
        fetched = fetch(
            self.files, session["downloadUrl"], expected=expected, started=started, hashed=hashed
        )
        fetched.session_seconds = session_seconds
        return fetched

    def close(self) -> None:
        self.session.close()
        self.files.close()


def check_file(label: str, fetched: Fetched, source: SourceFile) -> bool:
    ok = fetched.status == 200 and fetched.size == source.size and fetched.sha256 == source.sha256
    print(
        f"  {label}: {fetched.size:,} bytes, SHA-256 {'matches' if ok else 'DIFFERS'}"
        f" ({fetched.mb_s:,.0f} MB/s while hashing)"
    )
    return ok


def check_range(api: Steward, dataset_id: str, source: SourceFile) -> tuple[bool, Fetched]:
    """`Range: bytes=N-` on a fresh signed link: 206, the right headers, exactly the tail."""
    start = source.size * 3 // 4 + 12345
    tail = source.size - start
    session = api.call("POST", f"/api/datasets/{dataset_id}/download")
    fetched = fetch(
        api.files,
        session["downloadUrl"],
        expected=tail,
        hashed=True,
        headers={"Range": f"bytes={start}-"},
    )
    expected_hash = sha256_of_range(source.path, start, tail)
    content_range = fetched.headers.get("Content-Range", "")
    ok = (
        fetched.status == 206
        and content_range == f"bytes {start}-{source.size - 1}/{source.size}"
        and fetched.headers.get("Content-Length") == str(tail)
        and fetched.size == tail
        and fetched.sha256 == expected_hash
    )
    print(
        f"  Range bytes={start}-: {fetched.status}, {content_range!r}, {fetched.size:,} bytes,"
        f" tail SHA-256 {'matches' if fetched.sha256 == expected_hash else 'DIFFERS'}"
        f" -> {'ok' if ok else 'WRONG'} ({fetched.mb_s:,.0f} MB/s)"
    )
    return ok, fetched


@dataclass
class UploadResult:
    seconds: float  # first request to the completion's answer
    parts_seconds: float  # the part PUTs alone
    completion_seconds: float
    status: str  # the upload's status in the completion's answer
    upload_id: str
    verify_seconds: float | None = None  # completion's answer to "completed" (worker)
    final_status: str = ""


def put_parts(source: SourceFile, part_size: int, url_for, make_session) -> list[dict]:
    """PUT every part of `source` to `url_for(number)`, PARTS_IN_FLIGHT at once, each thread
    with its own connections (as the SDK's threads); the parts as {partNumber, etag}."""
    count = -(-source.size // part_size)
    deadline = time.monotonic() + TRANSFER_TIME_LIMIT
    local = threading.local()
    opened: list = []

    def put_part(number: int) -> dict:
        if time.monotonic() > deadline:
            raise TimeoutError(f"upload: over {TRANSFER_TIME_LIMIT} s")
        if not hasattr(local, "session"):
            local.session = make_session()
            opened.append(local.session)
        url = url_for(local.session, number)
        offset = (number - 1) * part_size
        body = FileSlice(source.path, offset, min(part_size, source.size - offset))
        files = getattr(local.session, "files", local.session)  # signed URLs: no credentials
        response = files.put(url, data=body, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
        if response.status_code not in (200, 201, 204):
            raise RuntimeError(f"PUT part {number} -> {response.status_code}: {response.text}")
        return {"partNumber": number, "etag": response.headers.get("ETag", "").strip().strip('"')}

    try:
        with ThreadPoolExecutor(PARTS_IN_FLIGHT) as pool:
            return list(pool.map(put_part, range(1, count + 1), timeout=TRANSFER_TIME_LIMIT))
    finally:
        for session in opened:
            session.close()


def nginx_put(nginx_base: str, source: SourceFile, part_size: int) -> float:
    """The reference for uploads: the same parts PUT to nginx's WebDAV module, which writes
    each body to a file. Seconds for all the parts."""

    def part_url(session: requests.Session, number: int) -> str:
        return f"{nginx_base}/put/part-{number}"

    started = time.perf_counter()
    put_parts(source, part_size, part_url, loopback_session)
    return time.perf_counter() - started


def disk_write_reference(folder: Path, size: int) -> float:
    """MB/s of writing `size` bytes to new files in `folder` with direct I/O, 1 MiB at a time
    from PARTS_IN_FLIGHT threads, as Steward writes parts; 0 where there is no O_DIRECT."""
    if not hasattr(os, "O_DIRECT"):
        return 0.0
    share = -(-size // PARTS_IN_FLIGHT // BLOCK) * BLOCK

    def write(number: int) -> None:
        path = folder / f"direct-{number}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_DIRECT, 0o600)
        try:
            with mmap.mmap(-1, BLOCK) as block:
                block.write(os.urandom(BLOCK))
                for _ in range(share // BLOCK):
                    os.write(fd, block)
        finally:
            os.close(fd)
            path.unlink()

    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(PARTS_IN_FLIGHT) as pool:
            list(pool.map(write, range(PARTS_IN_FLIGHT), timeout=TRANSFER_TIME_LIMIT))
    except OSError:  # a filesystem without direct I/O
        return 0.0
    return share * PARTS_IN_FLIGHT / (time.perf_counter() - started) / 1e6


def upload(api: Steward, source: SourceFile, part_size: int) -> UploadResult:
    """The MDC multipart flow: a draft, start, parts, completion."""
    draft = api.call("POST", "/api/submissions", json={"name": "Transfer benchmark upload"})
    submission_id = draft["submission"]["id"]
    started = time.perf_counter()
    opened = api.call(
        "POST",
        "/api/uploads",
        json={
            "submissionId": submission_id,
            "filename": source.path.name,
            "fileSize": source.size,
            "mimeType": "application/gzip",
        },
    )
    upload_id = opened["fileUploadId"]

    def part_url(client: Steward, number: int) -> str:
        return client.call("GET", f"/api/uploads/{upload_id}/parts/{number}")["url"]

    parts_started = time.perf_counter()
    parts = put_parts(source, part_size, part_url, lambda: Steward(api.base, api.key))
    parts_seconds = time.perf_counter() - parts_started
    if not all(part["etag"] for part in parts):
        raise RuntimeError("a part was answered without an ETag")
    completing = time.perf_counter()
    done = api.call(
        "POST",
        f"/api/uploads/{upload_id}",
        json={"uploadId": opened["uploadId"], "parts": parts, "checksum": source.sha256},
        timeout=COMPLETION_TIMEOUT,
    )
    ended = time.perf_counter()
    return UploadResult(
        ended - started, parts_seconds, ended - completing, done["status"], upload_id
    )


def wait_for_verification(api: Steward, result: UploadResult) -> None:
    """Poll until the worker has hashed the upload; sets verify_seconds and final_status."""
    started = time.perf_counter()
    deadline = time.monotonic() + VERIFY_TIME_LIMIT
    status = result.status
    while status == "verifying" and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL)
        status = api.call("GET", f"/api/uploads/{result.upload_id}/parts")["status"]
    result.final_status = status
    if status != "verifying":
        result.verify_seconds = time.perf_counter() - started


# --- Report --------------------------------------------------------------------------------


@dataclass
class Figure:
    name: str
    value: float | str
    unit: str = ""
    target: str = ""
    passed: bool | None = None  # None: no target
    decimals: int = 1

    def line(self) -> str:
        result = "" if self.passed is None else ("PASS" if self.passed else "FAIL")
        if isinstance(self.value, str):
            value = self.value
        else:
            value = f"{self.value:,.{self.decimals}f} {self.unit}".rstrip()
        return f"  {self.name:40} {value:>16}   {self.target:>12}   {result}"


def print_summary(title: str, figures: list[Figure]) -> None:
    print()
    print(f"== Summary: {title} ==")
    print(f"  {'figure':40} {'value':>16}   {'target':>12}   result")
    for figure in figures:
        print(figure.line())


# --- Main ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="file size (default 1024)")
    parser.add_argument("--workers", type=int, default=2, help="server workers (default 2)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds of downloads and of uploads (default 3)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.size_mib < 4 or args.workers < 1 or args.repeat < 1:
        parser.error("--size-mib must be at least 4, --workers and --repeat at least 1")
    return args


@dataclass
class Setup:
    env: dict[str, str]
    key: str
    big: SourceFile
    small: SourceFile
    datasets: dict[str, tuple[str, str]]  # slug -> (public id, storage key)
    nginx_put_dir: Path


def set_up(folder: Path, home: Path, base: str, size: int) -> Setup:
    started = time.perf_counter()
    big = write_random_file(folder / "transfer-big.tar.gz", size)
    small = write_random_file(folder / "transfer-small.tar.gz", max(1, size // 4))
    print(
        f"  wrote {big.size / MiB:,.0f} MiB and {small.size / MiB:,.0f} MiB of random bytes"
        f" in {time.perf_counter() - started:.1f} s"
    )
    env = steward_env(home, base)
    run_steward(["migrate", "--no-input"], env)
    run_steward(["users", "add", USER, "--email", "bench@example.org"], env)
    run_steward(
        ["orgs", "add", ORG, "--name", "Transfer Bench", "--owner", USER, "--approved"], env
    )
    key = run_steward(["apikeys", "create", USER], env).strip()
    started = time.perf_counter()
    out = run_steward(
        ["shell", "--no-imports", "-c", PUBLISH_HELPER],
        env,
        {
            "BENCH_ORG": ORG,
            "BENCH_DATASETS": f"transfer-big={big.path};transfer-small={small.path}",
        },
    )
    datasets = {}
    for line in out.splitlines():
        if line.startswith("BENCH "):
            _, slug, public_id, storage_key, stored_size, sha256 = line.split()
            source = big if slug == "transfer-big" else small
            if int(stored_size) != source.size or sha256 != source.sha256:
                raise RuntimeError(f"{slug} was stored as {stored_size} bytes, {sha256}")
            datasets[slug] = (public_id, storage_key)
    if set(datasets) != {"transfer-big", "transfer-small"}:
        raise RuntimeError(f"the publish helper printed:\n{out}")
    print(
        f"  migrated, made user/org/key, stored and published both files"
        f" ({time.perf_counter() - started:.1f} s for the publication)"
    )
    return Setup(env, key, big, small, datasets, folder / "nginx" / "put")


def measure_downloads(
    api: Steward, nginx_base: str, setup: Setup, repeat: int, sampler: MemorySampler
) -> tuple[list[Figure], float]:
    big, small = setup.big, setup.small
    big_id, big_key = setup.datasets["transfer-big"]
    small_id, _ = setup.datasets["transfer-small"]
    nginx_url = f"{nginx_base}/files/{big_key}"

    with sampler.during("download, quarter size"):
        fetched = api.download(small_id, small.size)
    print(f"  Steward, quarter size ({small.size / MiB:,.0f} MiB): {fetched.mb_s:,.0f} MB/s")

    with loopback_session() as nginx_session, sampler.during("download, full size"):
        print("  verification pass (size and SHA-256, also warms the page cache):")
        nginx_ok = check_file(
            "nginx", fetch(nginx_session, nginx_url, expected=big.size, hashed=True), big
        )
        steward_ok = check_file("Steward", api.download(big_id, big.size, hashed=True), big)
        nginx_runs, steward_runs = [], []
        for number in range(1, repeat + 1):
            nginx_runs.append(fetch(nginx_session, nginx_url, expected=big.size))
            steward_runs.append(api.download(big_id, big.size))
            for label, run in (("nginx", nginx_runs[-1]), ("Steward", steward_runs[-1])):
                if run.size != big.size:
                    raise RuntimeError(f"{label} sent {run.size} of {big.size} bytes")
            nginx_run, steward_run = nginx_runs[-1], steward_runs[-1]
            print(
                f"  round {number}: nginx {nginx_run.mb_s:7,.0f} MB/s ({nginx_run.seconds:.3f} s)"
                f"   Steward {steward_run.mb_s:7,.0f} MB/s ({steward_run.seconds:.3f} s, of which"
                f" the session POST {steward_run.session_seconds * 1000:.1f} ms)"
            )
        range_ok, _ = check_range(api, big_id, big)

    nginx_mb_s = statistics.median(r.mb_s for r in nginx_runs)
    steward_mb_s = statistics.median(r.mb_s for r in steward_runs)
    get_only = statistics.median(
        r.size / (r.seconds - r.session_seconds) / 1e6 for r in steward_runs
    )
    post_ms = statistics.median(r.session_seconds * 1000 for r in steward_runs)
    ratio = steward_mb_s / nginx_mb_s if nginx_mb_s else 0.0
    figures = [
        Figure("download nginx (median)", nginx_mb_s, "MB/s", decimals=0),
        Figure("download Steward, POST + GET (median)", steward_mb_s, "MB/s", decimals=0),
        Figure("  of which the GET of the link alone", get_only, "MB/s", decimals=0),
        Figure("  and the session POST", post_ms, "ms"),
        Figure(
            "download Steward / nginx",
            ratio,
            "",
            f">= {DOWNLOAD_RATIO_TARGET:g}",
            ratio >= DOWNLOAD_RATIO_TARGET,
            2,
        ),
        Figure(
            "download size + SHA-256 (nginx, Steward)",
            "ok" if nginx_ok and steward_ok else "WRONG",
            target="ok",
            passed=nginx_ok and steward_ok,
        ),
        Figure(
            "Range bytes=N- on Steward link",
            "206, tail" if range_ok else "WRONG",
            target="206, tail",
            passed=range_ok,
        ),
    ]
    return figures, nginx_mb_s


def flush_writes() -> None:
    """Write dirty pages out (os.sync) so that every upload starts from the same state and
    does not pay for the writes of the one before it."""
    started = time.perf_counter()
    os.sync()
    seconds = time.perf_counter() - started
    if seconds > 0.5:
        print(f"  (sync before the round: {seconds:.1f} s)")


def measure_upload(
    api: Steward,
    nginx_base: str,
    setup: Setup,
    repeat: int,
    worker_log: Path,
    nginx_mb_s: float,
    sampler: MemorySampler,
) -> list[Figure]:
    big = setup.big
    inline_limit = int(setup.env.get("STEWARD_INLINE_VERIFY_BYTES", DEFAULT_INLINE_VERIFY_BYTES))
    in_background = big.size > inline_limit
    parts = -(-big.size // PART_SIZE)
    print(
        f"  {parts} parts of {PART_SIZE // MiB} MiB, {PARTS_IN_FLIGHT} in flight;"
        f" verification {'by the worker, after' if in_background else 'inside'} the completion"
    )
    worker_args = [*steward_command(), "worker", "--interval", str(POLL_INTERVAL)]
    nginx_runs: list[float] = []
    disk_runs: list[float] = []
    results: list[UploadResult] = []
    with background(worker_args, setup.env, worker_log):
        for number in range(1, repeat + 1):
            flush_writes()
            with sampler.during("nginx PUT (Steward idle)"):
                nginx_runs.append(big.size / nginx_put(nginx_base, big, PART_SIZE) / 1e6)
            for written in setup.nginx_put_dir.iterdir():  # the parts just PUT: free the disk
                written.unlink()
            flush_writes()
            with sampler.during("upload"):
                result = upload(api, big, PART_SIZE)
                if in_background:
                    wait_for_verification(api, result)
                else:
                    result.final_status = result.status
            results.append(result)
            flush_writes()
            disk_runs.append(disk_write_reference(setup.nginx_put_dir, big.size))
            verified = (
                ""
                if result.verify_seconds is None
                else f", then verified in {result.verify_seconds:.2f} s"
            )
            print(
                f"  round {number}: nginx PUT {nginx_runs[-1]:7,.0f} MB/s   disk, direct"
                f" {disk_runs[-1]:7,.0f} MB/s   Steward"
                f" {big.size / result.seconds / 1e6:7,.0f} MB/s ({result.seconds:.2f} s: parts"
                f" {result.parts_seconds:.2f} s, completion {result.completion_seconds:.2f} s)"
                f" -> {result.final_status}{verified}"
            )
    mb_s = statistics.median(big.size / r.seconds / 1e6 for r in results)
    parts_mb_s = statistics.median(big.size / r.parts_seconds / 1e6 for r in results)
    nginx_put_mb_s = statistics.median(nginx_runs)
    ratio = mb_s / nginx_mb_s if nginx_mb_s else 0.0
    figures = [
        Figure("upload nginx PUT, reference (median)", nginx_put_mb_s, "MB/s", decimals=0),
        Figure(
            "disk, direct writes, reference (median)",
            statistics.median(disk_runs),
            "MB/s",
            decimals=0,
        ),
        Figure("upload Steward, start to completion", mb_s, "MB/s", decimals=0),
        Figure("  of which the part PUTs alone", parts_mb_s, "MB/s", decimals=0),
        Figure(
            "  and the completion call",
            statistics.median(r.completion_seconds for r in results),
            "s",
            decimals=2,
        ),
        Figure(
            "upload Steward / nginx download",
            ratio,
            "",
            f">= {UPLOAD_RATIO_TARGET:g}",
            ratio >= UPLOAD_RATIO_TARGET,
            2,
        ),
        Figure("upload Steward / nginx PUT", mb_s / nginx_put_mb_s, "", decimals=2),
        Figure(
            "upload Steward / disk, direct writes",
            mb_s / statistics.median(disk_runs) if statistics.median(disk_runs) else 0.0,
            "",
            decimals=2,
        ),
    ]
    if in_background:
        seconds = [r.verify_seconds for r in results if r.verify_seconds is not None]
        figures.append(
            Figure(
                "upload verification (worker, median)",
                statistics.median(seconds) if seconds else "timed out",
                "s",
                decimals=2,
            )
        )
    verified = all(r.final_status == "completed" for r in results)
    figures.append(
        Figure(
            "uploads verified",
            "completed" if verified else "/".join(r.final_status for r in results),
            target="completed",
            passed=verified,
        )
    )
    return figures


def memory_figures(sampler: MemorySampler) -> list[Figure]:
    peaks = sampler.peaks
    print("  phase                          samples  processes  peak RSS MB  peak Pss MB")
    for phase, peak in peaks.items():
        print(
            f"  {phase:30} {peak.samples:7} {peak.processes:10} {peak.rss:12.1f} {peak.pss:12.1f}"
        )
    transfer = [p for name, p in peaks.items() if not name.startswith(("idle", "between"))]
    peak_rss = max((p.rss for p in transfer), default=0.0)
    peak_pss = max((p.pss for p in transfer), default=0.0)
    small = peaks.get("download, quarter size", Peak()).rss
    full = peaks.get("download, full size", Peak()).rss
    growth = full - small
    idle = peaks.get("idle, before transfers", Peak()).rss
    return [
        Figure("server RSS idle", idle, "MB"),
        Figure("server RSS peak above idle", peak_rss - idle, "MB"),
        # RSS counts the pages the workers share with the master once per process; Pss
        # shares them out, so its sum is the memory the server really holds.
        Figure("server RSS peak, transfers (upper bound)", peak_rss, "MB"),
        Figure(
            "server Pss peak, transfers",
            peak_pss,
            "MB",
            f"< {PEAK_RSS_TARGET_MB:g} MB",
            peak_pss < PEAK_RSS_TARGET_MB,
        ),
        Figure(
            "RSS peak, full minus quarter download",
            growth,
            "MB",
            f"< {RSS_GROWTH_TARGET_MB:g} MB",
            growth < RSS_GROWTH_TARGET_MB,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    size = args.size_mib * MiB
    title = (
        f"{args.size_mib:,} MiB, {args.workers} workers, {args.repeat} rounds,"
        f" {os.cpu_count()} CPUs"
    )
    print(f"Steward transfer benchmark: {title}")
    folder = Path(tempfile.mkdtemp(prefix="steward-bench-transfer-"))
    figures: list[Figure] = []
    try:
        home = folder / "home"
        port, nginx_port = free_port(), free_port()
        base, nginx_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{nginx_port}"
        print("setup:")
        nginx = ensure_nginx()
        setup = set_up(folder, home, base, size)
        nginx_dir = folder / "nginx"
        nginx_dir.mkdir()
        conf = nginx_dir / "nginx.conf"
        conf.write_text(nginx_config(nginx_dir, home / "files", nginx_port, args.workers))
        nginx_args = [
            nginx,
            "-p",
            f"{nginx_dir}/",
            "-c",
            str(conf),
            "-e",
            str(nginx_dir / "error.log"),
        ]
        serve_args = [
            *steward_command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ]
        _, small_key = setup.datasets["transfer-small"]
        with (
            background(nginx_args, setup.env, nginx_dir / "stdout.log") as nginx_process,
            background(serve_args, setup.env, folder / "server.log") as server,
        ):
            wait_until_ok(
                f"{nginx_base}/files/{small_key}",
                nginx_process,
                nginx_dir / "error.log",
                NGINX_START_TIMEOUT,
            )
            wait_until_ok(f"{base}/api/health", server, folder / "server.log", SERVER_START_TIMEOUT)
            print(
                f"  nginx on {nginx_base} (pid {nginx_process.pid}),"
                f" Steward on {base} (pid {server.pid})"
            )
            api = Steward(base, setup.key)
            try:
                with MemorySampler(server.pid) as sampler:
                    time.sleep(5 * SAMPLE_INTERVAL)  # an idle baseline
                    print(f"download ({args.repeat} rounds, alternating):")
                    download_figures, nginx_mb_s = measure_downloads(
                        api, nginx_base, setup, args.repeat, sampler
                    )
                    figures += download_figures
                    print(f"upload ({args.repeat} rounds, alternating):")
                    figures += measure_upload(
                        api,
                        nginx_base,
                        setup,
                        args.repeat,
                        folder / "worker.log",
                        nginx_mb_s,
                        sampler,
                    )
                print("memory of the server's process tree:")
                figures += memory_figures(sampler)
                print_processes(server.pid)
            finally:
                api.close()
    finally:
        if args.keep:
            print(f"kept folder: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print_summary(title, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
