"""A fresh Steward installation for the benchmarks: the `steward` commands, a server on a free
loopback port, a scratch PostgreSQL database, and the percentile they report. Every process
and call is bounded by a timeout; servers are stopped with their children."""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

COMMAND_TIMEOUT = 600  # one `steward` command (migrate, a shell helper, ledger verify)
SERVER_START_TIMEOUT = 60
STOP_TIMEOUT = 15
DATABASE_TIMEOUT = 10  # connecting to PostgreSQL, and its lock_timeout


def percentile(ordered: list[int], fraction: float) -> int:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def steward_command() -> list[str]:
    script = Path(sys.executable).with_name("steward")
    if script.exists():
        return [str(script)]
    found = shutil.which("steward")
    return [found] if found else [sys.executable, "-m", "steward"]


def run_steward(
    args: list[str], env: dict[str, str], extra: dict | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    """Run a `steward` command to its end (at most COMMAND_TIMEOUT)."""
    done = subprocess.run(
        [*steward_command(), *args],
        env={**env, **(extra or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=COMMAND_TIMEOUT,
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"steward {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done


def bench_lines(out: str) -> list[list[str]]:
    return [line.split(" ", 1)[1].split() for line in out.splitlines() if line.startswith("BENCH ")]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def loopback_session() -> requests.Session:
    """A keep-alive session that ignores proxy settings from the environment."""
    session = requests.Session()
    session.trust_env = False
    return session


def stop_group(process: subprocess.Popen) -> None:
    """Stop a process started in its own session, with its children: SIGTERM, then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=STOP_TIMEOUT)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def serving(env: dict[str, str], port: int, workers: int, log: Path) -> Iterator[None]:
    """`steward serve` on 127.0.0.1:`port` until the block ends; waits for /api/health."""
    args = [*steward_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--workers", str(workers)]
    with log.open("w") as log_file:
        process = subprocess.Popen(
            args, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            with loopback_session() as session:
                while True:
                    if process.poll() is not None:
                        raise RuntimeError(f"steward serve exited ({process.returncode})")
                    try:
                        url = f"http://127.0.0.1:{port}/api/health"
                        if session.get(url, timeout=1).status_code == 200:
                            break
                    except requests.RequestException:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"steward serve did not answer in {SERVER_START_TIMEOUT} s"
                        )
                    time.sleep(0.2)
            yield
        finally:
            stop_group(process)


@contextmanager
def postgres_database(url: str, prefix: str) -> Iterator[str]:
    """A new, empty database on the PostgreSQL server that `url` names (its database name, or
    <prefix>_<random> when it names none), dropped when the block ends. Yields its URL. An
    existing database is never used: CREATE DATABASE fails on it."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise ValueError(f"--database-url must be a postgres:// URL, not {parts.scheme!r}")
    name = parts.path.lstrip("/") or f"{prefix}_{secrets.token_hex(4)}"
    server = urlunsplit(parts._replace(path="/postgres"))
    options = f"-c lock_timeout={DATABASE_TIMEOUT * 1000} -c statement_timeout=60000"

    def execute(statement) -> None:
        with psycopg.connect(
            server, autocommit=True, connect_timeout=DATABASE_TIMEOUT, options=options
        ) as connection:
            connection.execute(statement)

    execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        print(f"  dropped database {name}")
