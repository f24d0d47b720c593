"""The `creditsvc` console script."""
from __future__ import annotations

import argparse
import os
import sys


def serve(args: argparse.Namespace) -> int:
    from . import create_app

    app = create_app()
    if args.dev:
        app.run(host=args.host, port=args.port, debug=True)
        return 0
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", args.threads)
            self.cfg.set("graceful_timeout", 30)
            self.cfg.set("accesslog", None)

        def load(self):
            return app

    Server().run()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="creditsvc", description="SLA credits and support billing service")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="serve the HTTP API with gunicorn")
    run.add_argument("--host", default=os.environ.get("CREDITSVC_HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("CREDITSVC_PORT", "8000")))
    run.add_argument("--workers", type=int, default=int(os.environ.get("CREDITSVC_WORKERS", os.cpu_count() or 1)))
    run.add_argument("--threads", type=int, default=int(os.environ.get("CREDITSVC_THREADS", "4")))
    run.add_argument("--dev", action="store_true", help="Flask's development server with the reloader")
    run.set_defaults(handler=serve)

    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
