"""Real `steward serve` processes (gunicorn) on the test database, for tests that need more
than one process or real signals.

The servers read the test's own data: on PostgreSQL the test database itself (the test must
be transactional, so that its rows are committed); on SQLite, whose test database lives in
this process's memory, a copy of it in a file under the test's folder, taken when the servers
start."""

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import requests
from django.db import connection

SECRET_KEY = "a-secret-key-that-every-test-server-shares"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(folder: Path) -> str:
    """A DATABASE_URL that reaches the data of the running test."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user = quote(settings["USER"] or "")
        password = f":{quote(settings['PASSWORD'])}" if settings["PASSWORD"] else ""
        credentials = f"{user}{password}@" if user else ""
        host = settings["HOST"] or "127.0.0.1"
        port = settings["PORT"] or 5432
        return f"postgres://{credentials}{host}:{port}/{settings['NAME']}"
    path = folder / "steward.sqlite3"
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()
    return f"sqlite:///{path}"


def server_env(home: Path, database: str, **settings: str) -> dict[str, str]:
    """The environment of a server whose files are under `home` (STEWARD_HOME)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    return {
        **env,
        "DATABASE_URL": database,
        "STEWARD_HOME": str(home),
        "STEWARD_SECRET_KEY": SECRET_KEY,
        **settings,
    }


class Server:
    """One `steward serve` process (a gunicorn master and its workers)."""

    def __init__(self, env: dict[str, str], *, workers: int = 1, threads: int = 4):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "steward", "serve", "--port", str(self.port)]
            + ["--workers", str(workers), "--threads", str(threads)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                requests.get(f"{self.url}/api/health", timeout=2)
                return
            except requests.ConnectionError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server stopped:\n{self.output()}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start:\n{self.output()}") from None
                time.sleep(0.2)

    def output(self) -> str:
        if self.process.poll() is None:
            return ""
        return self.process.stdout.read().decode(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=35)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()


def start_servers(count: int, env: dict[str, str]) -> list[Server]:
    """Start `count` servers side by side and wait until each answers."""
    servers = [Server(env) for _ in range(count)]
    try:
        for server in servers:
            server.wait_until_up()
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers
