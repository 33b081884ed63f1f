"""The services of the load benchmark, all on loopback: a PostgreSQL cluster of its own (so
that restarting it disturbs no other user of the machine's server), moto's S3 server, and
Steward's web processes and task workers under a small supervisor that restarts whatever
exits, as systemd's Restart= would. Every command and wait is bounded by a timeout."""

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
from installation import loopback_session, steward_command, stop_group

PG_COMMAND_TIMEOUT = 120  # initdb, pg_ctl start/restart/stop (each waits at most 60 s itself)
PG_WAIT = 60  # pg_ctl -t
START_TIMEOUT = 60  # a web process or moto answering
SUPERVISOR_POLL = 0.2  # seconds between looks at the processes
RESTART_DELAY = 1.0  # an unexpected exit is restarted after this long (systemd's RestartSec)


# --- PostgreSQL ------------------------------------------------------------------------------


def postgres_bin(explicit: str | None) -> Path:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl): `explicit`, else the one
    the `pg_ctl` on PATH links to, else the newest /usr/lib/postgresql/*/bin."""
    candidates = [explicit] if explicit else []
    if found := shutil.which("pg_ctl"):
        candidates.append(str(Path(os.path.realpath(found)).parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    raise RuntimeError("PostgreSQL's initdb and pg_ctl were not found (give --pg-bin)")


class Cluster:
    """A PostgreSQL cluster in `folder` listening on 127.0.0.1:`port` only, trust auth, user
    postgres. Run as the `postgres` system user when this script runs as root (the server
    refuses root)."""

    def __init__(self, bin_dir: Path, folder: Path, port: int):
        self.bin_dir, self.folder, self.port = bin_dir, folder, port
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError(
                    "PostgreSQL refuses to run as root, and there is no"
                    " `postgres` user to run it as"
                ) from None
            os.chown(folder, entry.pw_uid, entry.pw_gid)
            # The user must be able to pass through the folder above (mkdtemp makes it 0700).
            os.chmod(folder.parent, folder.parent.stat().st_mode | 0o011)
        self.started = False

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            [*self.as_user, str(self.bin_dir / program), *args],
            capture_output=True,
            text=True,
            timeout=PG_COMMAND_TIMEOUT,
            check=False,
            cwd=self.folder,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{program} {args[0]} failed:\n{done.stdout}\n{done.stderr}")

    def _options(self) -> str:
        return (
            f"-c listen_addresses=127.0.0.1 -c port={self.port}"
            f" -c unix_socket_directories={self.folder} -c max_connections=200"
        )

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self._run(
            "pg_ctl",
            "start",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            str(PG_WAIT),
            "-o",
            self._options(),
        )
        self.started = True

    def restart(self) -> None:
        """A normal restart: `fast` shutdown (open connections are cut), then start; returns
        when the server accepts connections again."""
        self._run(
            "pg_ctl",
            "restart",
            "-D",
            str(self.data),
            "-m",
            "fast",
            "-w",
            "-t",
            str(PG_WAIT),
            "-l",
            str(self.log),
            "-o",
            self._options(),
        )

    def stop(self) -> None:
        if self.started:
            self.started = False
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")

    def url(self, database: str) -> str:
        # connect_timeout bounds a connection attempt while the server restarts.
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}?connect_timeout=5"


# --- Processes -----------------------------------------------------------------------------


def moto_command(port: int) -> list[str]:
    script = Path(sys.executable).with_name("moto_server")
    program = [str(script)] if script.exists() else [sys.executable, "-m", "moto.server"]
    return [*program, "-H", "127.0.0.1", "-p", str(port)]


def wait_for(url: str, process: subprocess.Popen, timeout: float = START_TIMEOUT) -> None:
    """Until `url` answers 200 (or the process exits, or `timeout` runs out)."""
    deadline = time.monotonic() + timeout
    with loopback_session() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[0]} exited ({process.returncode})")
            try:
                if session.get(url, timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:g} s")


@dataclass
class Event:
    at: float  # time.time()
    what: str


@dataclass
class Managed:
    """One supervised process: a `steward serve` or `steward worker`, in its own session so
    that a kill reaches its children (gunicorn's worker)."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    health_url: str | None = None  # web processes: answered when ready
    process: subprocess.Popen | None = None
    starts: int = 0
    unexpected_exits: list[tuple[float, int]] = field(default_factory=list)
    killed_at: float | None = None  # set while a deliberate kill waits for its restart
    restart_after: float = 0.0  # time.monotonic() when the restart may happen

    def start(self) -> None:
        with self.log.open("a") as log_file:
            log_file.write(f"--- start {self.starts + 1} at {time.strftime('%H:%M:%S')}\n")
            log_file.flush()
            self.process = subprocess.Popen(
                self.args,
                env=self.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Supervisor:
    """Restarts any managed process that exits: after RESTART_DELAY for an unexpected exit
    (recorded), after the chosen down time for a deliberate SIGKILL. A thread looks every
    SUPERVISOR_POLL seconds until stop()."""

    def __init__(self, events: Callable[[str], None]):
        self.processes: list[Managed] = []
        self.note = events
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="supervisor", daemon=True)

    def add(self, managed: Managed) -> Managed:
        managed.start()
        self.processes.append(managed)
        return managed

    def run(self) -> None:
        self.thread.start()

    def kill(self, managed: Managed, down_seconds: float) -> float:
        """SIGKILL the process and its children at once; restart it `down_seconds` later."""
        with self.lock:
            managed.killed_at = time.time()
            managed.restart_after = time.monotonic() + down_seconds
            with contextlib.suppress(ProcessLookupError):  # it had just exited by itself
                os.killpg(managed.process.pid, signal.SIGKILL)
        self.note(f"SIGKILL {managed.name} (pid {managed.process.pid} and its children)")
        return managed.killed_at

    def _loop(self) -> None:
        while not self.stopping.wait(SUPERVISOR_POLL):
            with self.lock:
                for managed in self.processes:
                    if managed.process.poll() is None or self.stopping.is_set():
                        continue
                    now = time.monotonic()
                    if managed.killed_at is None:
                        # Exited by itself: record it and restart it shortly.
                        managed.unexpected_exits.append((time.time(), managed.process.returncode))
                        self.note(
                            f"{managed.name} exited by itself (status"
                            f" {managed.process.returncode}); restarting in {RESTART_DELAY:g} s"
                        )
                        managed.killed_at = time.time()
                        managed.restart_after = now + RESTART_DELAY
                    if now >= managed.restart_after:
                        managed.killed_at = None
                        managed.start()
                        self.note(f"restarted {managed.name} (pid {managed.pid})")

    def stop(self) -> None:
        """Stop the thread, then every process (SIGTERM, then SIGKILL)."""
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
        with self.lock:
            for managed in self.processes:
                if managed.process is not None:
                    stop_group(managed.process)


def serve_args(port: int, threads: int) -> list[str]:
    return [
        *steward_command(),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--threads",
        str(threads),
    ]


def worker_args() -> list[str]:
    return [*steward_command(), "worker", "--interval", "0.5"]
