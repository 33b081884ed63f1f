from django.core.management.base import BaseCommand

from steward.search.mcp import build_server, transport_security


class Command(BaseCommand):
    help = (
        "Serve the catalogue to AI assistants over the Model Context Protocol: on stdin and "
        "stdout, or with --http at http://HOST:PORT/mcp (Streamable HTTP)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--http", action="store_true", help="serve over Streamable HTTP instead of stdio"
        )
        parser.add_argument("--host", default="127.0.0.1", help="with --http (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8765, help="with --http (default 8765)")

    def handle(self, *args, http, host, port, **options):
        server = build_server()
        if not http:
            # stdout carries the protocol's messages: nothing else may be written to it.
            server.run("stdio")
            return
        self.stdout.write(f"Steward's MCP server is serving on http://{host}:{port}/mcp")
        self.stdout.flush()
        server.run("streamable-http", host=host, port=port, transport_security=transport_security())
