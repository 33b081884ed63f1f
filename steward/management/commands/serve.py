import os
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run the production web server (gunicorn; static files through whitenoise)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")

    def execute(self, *args, **options):
        # Before the system checks, which import the URLs and so prometheus_client: it
        # decides on import whether figures are shared between processes.
        _prepare_metrics_folder(options["port"])
        return super().execute(*args, **options)

    def handle(self, *args, host, port, workers, threads, **options):
        from gunicorn.app.base import BaseApplication

        from steward.wsgi import application

        options = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": _gunicorn_worker_class(),
            # Load Steward once in the master: the workers share its pages after the fork.
            "preload_app": True,
            # Part uploads and downloads on slow links can take minutes.
            "timeout": 600,
            "graceful_timeout": 30,
            # Steward writes the access log itself (logger steward.access), with request ids.
            "accesslog": None,
            "loglevel": "info" if settings.DEBUG else "warning",
            "logger_class": _gunicorn_logger_class(),
        }

        class Server(BaseApplication):
            def load_config(self):
                for key, value in options.items():
                    self.cfg.set(key, value)

            def load(self):
                return application

        self.stdout.write(f"Steward is serving on http://{host}:{port}")
        self.stdout.flush()
        Server().run()


def _prepare_metrics_folder(port: int) -> None:
    """Give the web processes one folder for their Prometheus figures (PROMETHEUS_MULTIPROC_DIR),
    emptied at start: figures of an earlier run would be added to this one's.

    The default is this machine's temporary folder, one per port, never STEWARD_HOME: that
    may be shared by servers on several machines or containers, whose processes would then
    mix their figures (files are named by process id) and empty each other's."""
    default = Path(tempfile.gettempdir()) / f"steward-metrics-{port}"
    folder = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(default)))
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    if "prometheus_client" in sys.modules:
        from prometheus_client import values

        if values.ValueClass is values.MutexValue:
            raise CommandError("prometheus_client was imported before its folder was set.")


def _gunicorn_worker_class():
    from gunicorn.workers.gthread import ThreadWorker

    class StewardWorker(ThreadWorker):
        """gunicorn's threaded worker, which on SIGTERM also closes its copy of the listening
        socket as soon as it stops accepting. gunicorn keeps it open until the running
        requests are done, so the kernel would go on queueing connections nobody answers
        during the grace period; closed, they are refused and a load balancer moves on."""

        def set_accept_enabled(self, enabled):
            super().set_accept_enabled(enabled)
            if not enabled and not self.alive:
                for listener in self.sockets:
                    listener.close()

    return StewardWorker


def _gunicorn_logger_class():
    from gunicorn.glogging import Logger

    class StewardLogger(Logger):
        """Gunicorn's own messages (start, stop, worker timeouts) go through Steward's log
        handler, so they come out in STEWARD_LOG_FORMAT like every other line."""

        def setup(self, cfg):
            super().setup(cfg)
            for log in (self.error_log, self.access_log):
                for handler in [h for h in log.handlers if getattr(h, "_gunicorn", False)]:
                    log.removeHandler(handler)
                log.propagate = True

    return StewardLogger
