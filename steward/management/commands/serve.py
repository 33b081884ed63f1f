from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the production web server (gunicorn; static files through whitenoise)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")

    def handle(self, *args, host, port, workers, threads, **options):
        from gunicorn.app.base import BaseApplication

        from steward.wsgi import application

        options = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            # Load Steward once in the master: the workers share its pages after the fork.
            "preload_app": True,
            # Part uploads and downloads on slow links can take minutes.
            "timeout": 600,
            "graceful_timeout": 30,
            "accesslog": "-",
            "loglevel": "info" if settings.DEBUG else "warning",
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
