"""The `creditsvc` console script: serve, create-api-key, db upgrade, openapi."""
from __future__ import annotations

import argparse
import os
import sys


def _database_url() -> str:
    from .config import from_environment

    return from_environment()["DATABASE_URL"]


def serve(args: argparse.Namespace) -> int:
    from . import create_app, db

    db.upgrade(_database_url())  # create or migrate the schema before taking requests
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


def create_api_key(args: argparse.Namespace) -> int:
    from . import db
    from .services.auth import ROLES, create_api_key as create

    if args.role not in ROLES:
        print(f"creditsvc: --role must be one of {', '.join(ROLES)}", file=sys.stderr)
        return 2
    url = _database_url()
    db.upgrade(url)
    engine = db.make_engine(url)
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        try:
            key = create(session, args.name, args.role)
        except IntegrityError:
            print(f"creditsvc: a key named {args.name!r} exists already", file=sys.stderr)
            return 1
    engine.dispose()
    print(f"API key {args.name!r} with role {args.role}; it is shown once, store it now:")
    print(key)
    return 0


def db_upgrade(args: argparse.Namespace) -> int:
    from . import db

    db.upgrade(_database_url())
    print("database is at the newest revision")
    return 0


def openapi(args: argparse.Namespace) -> int:
    from . import create_app, openapi_document

    sys.stdout.write(openapi_document(create_app({"DATABASE_URL": "sqlite://"})))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="creditsvc", description="SLA credits and support billing service")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="migrate the database, then serve the HTTP API with gunicorn")
    run.add_argument("--host", default=os.environ.get("CREDITSVC_HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("CREDITSVC_PORT", "8000")))
    run.add_argument("--workers", type=int, default=int(os.environ.get("CREDITSVC_WORKERS", os.cpu_count() or 1)))
    run.add_argument("--threads", type=int, default=int(os.environ.get("CREDITSVC_THREADS", "4")))
    run.add_argument("--dev", action="store_true", help="Flask's development server with the reloader")
    run.set_defaults(handler=serve)

    key = commands.add_parser("create-api-key", help="create an API key and print it once, as the last line")
    key.add_argument("--name", required=True)
    key.add_argument("--role", required=True, help="admin, billing, accounting or sales")
    key.set_defaults(handler=create_api_key)

    database = commands.add_parser("db", help="database maintenance")
    database_commands = database.add_subparsers(dest="db_command", required=True)
    database_commands.add_parser("upgrade", help="create or migrate the schema").set_defaults(handler=db_upgrade)

    commands.add_parser("openapi", help="print the OpenAPI document").set_defaults(handler=openapi)

    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
