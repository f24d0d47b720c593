"""The `creditsvc` console script: serve, create-api-key, db upgrade, openapi, close-period, calculate."""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import sys
import tempfile
import unicodedata


def _database_url() -> str:
    from .config import database_url

    return database_url()


def _port_in_use(host: str, port: int) -> str | None:
    """Why host:port cannot be served (another server listens there; the address is not this machine's),
    or None. The workers bind with SO_REUSEPORT, which would let a second server share the port
    silently; this probe binds without it, and with SO_REUSEADDR as gunicorn does, so connections
    the last run left in TIME-WAIT do not count."""
    import errno
    import socket

    address = host[1:-1] if host.startswith("[") and host.endswith("]") else host  # gunicorn's [::1]
    try:
        with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((address, port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            return f"{host}:{port} is in use (another server?)"
        return f"cannot listen on {host}:{port}: {error.strerror or error}"
    return None


# A note freezes its seller when it is issued: one issued without is corrected only by a new number.
NO_SELLER = ("CREDITSVC_SELLER_NAME is not set: credit notes issued by this process print no seller "
             "(set CREDITSVC_SELLER_NAME, _ADDRESS, _TAX_ID, _EMAIL)")


def _serve_settings(args: argparse.Namespace) -> None:
    """The flags not given, from their settings, held to the same bounds."""
    from .config import integer

    if args.port is None:
        args.port = integer("CREDITSVC_PORT", 8000, maximum=65535)
    if args.workers is None:
        args.workers = integer("CREDITSVC_WORKERS", os.cpu_count() or 1, minimum=1)
    if args.threads is None:
        args.threads = integer("CREDITSVC_THREADS", 4, minimum=1)


def serve(args: argparse.Namespace) -> int:
    _serve_settings(args)
    # A socket per worker needs a port known before the workers start: not with --port 0.
    reuse_port = not args.dev and args.port != 0
    if reuse_port and (problem := _port_in_use(args.host, args.port)):
        print(f"creditsvc: {problem}", file=sys.stderr)
        return 1
    # Workers count metrics in files here, so /metrics adds up every worker. It must be set before
    # prometheus_client is first imported.
    metrics_dir = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="creditsvc-metrics-")
    from .observability import JsonGunicornLogger, configure_logging

    configure_logging(sys.stderr)
    from . import create_app, db

    db.upgrade(_database_url())  # create or migrate the schema before taking requests
    app = create_app()
    if not app.config["SELLER"].get("name"):
        logging.getLogger("creditsvc").warning(NO_SELLER)
    if args.dev:
        app.run(host=args.host, port=args.port, debug=True)
        return 0
    from gunicorn.app.base import BaseApplication

    def child_exit(_server, worker):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", args.threads)
            # SIGTERM: stop accepting, finish requests in flight (up to 30 s), then exit.
            self.cfg.set("graceful_timeout", 30)
            # Each worker listens on its own SO_REUSEPORT socket and the kernel spreads connections over
            # them. On one shared socket the first worker to wake took them all: a client with 8
            # keep-alive connections often had one worker, half the machine (bench/service_load.py).
            self.cfg.set("reuse_port", reuse_port)
            self.cfg.set("accesslog", None)  # creditsvc logs one JSON line per request itself
            self.cfg.set("logger_class", JsonGunicornLogger)  # and gunicorn's own lines are JSON too
            self.cfg.set("child_exit", child_exit)
            # gunicorn 25.1+ also opens a control socket at ~/.gunicorn/gunicorn.ctl, one path for every
            # server of the user: a second server took over the first's, and its stop removed it.
            # creditsvc is run by its flags and signals; nothing of it uses that socket.
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)
            # gunicorn names no address when each worker binds its own socket ("Listening at:  (pid)")
            self.cfg.set("when_ready", lambda server: server.log.info(
                "Listening at: http://%s:%s (workers: %s, threads per worker: %s)",
                args.host, args.port, args.workers, args.threads))

        def load(self):
            return app

    import gunicorn.util

    gunicorn.util.write_error = _write_problem  # what its workers call; they are forked after this
    master = os.getpid()
    try:
        Server().run()
    finally:
        # Workers leave through here too (sys.exit in the forked process): only the master, when the
        # whole server stops, removes the folder every worker writes its counts in.
        if metrics_dir is not None and os.getpid() == master:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def _write_problem(sock, status: int, reason: str, message: str) -> None:
    """gunicorn's own refusals, before the app sees the request (a request line over 4094 bytes: 414;
    a header over 8190: 431; a request it cannot parse: 400), as the problem (RFC 9457) every other
    error is: gunicorn wrote an HTML page."""
    import json

    from gunicorn.util import write_nonblock

    body = json.dumps({"type": "about:blank", "title": reason, "status": status,
                       "detail": (message or reason)[:200]}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/problem+json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    write_nonblock(sock, head.encode("latin-1") + body)


@contextlib.contextmanager
def _key_session():
    """A session on the configured database, migrated first (the key commands may be the first to run)."""
    from sqlalchemy.orm import Session

    from . import db

    url = _database_url()
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def create_api_key(args: argparse.Namespace) -> int:
    from .services.auth import ROLES, create_api_key as create

    if args.role not in ROLES:
        print(f"creditsvc: --role must be one of {', '.join(ROLES)}", file=sys.stderr)
        return 2
    from sqlalchemy.exc import IntegrityError

    with _key_session() as session:
        try:
            key = create(session, args.name, args.role)
        except IntegrityError:
            print(f"creditsvc: a key named {args.name!r} exists already", file=sys.stderr)
            return 1
    print(f"API key {args.name!r} with role {args.role}; it is shown once, store it now:")
    print(key)
    return 0


def list_api_keys(args: argparse.Namespace) -> int:
    from .services.auth import list_api_keys as listed

    with _key_session() as session:
        rows = listed(session)
    print("name\trole\tcreated_at")
    for name, role, created_at in rows:
        print(f"{_shown(name)}\t{role}\t{created_at.isoformat()}")
    return 0


def revoke_api_key(args: argparse.Namespace) -> int:
    from .services.auth import KEY_CACHE_SECONDS, revoke_api_key as revoke

    from .services.auth import list_api_keys as listed

    with _key_session() as session:
        # the name as created, as list-api-keys shows it, or one stored before names were trimmed
        names = [name for name, _role, _created in listed(session)]
        matches = [name for name in names if name == args.name] or \
            [name for name in names if _shown(name) == args.name] or \
            [name for name in names if name.strip() == args.name.strip()]
        if len(matches) > 1:
            print(f"creditsvc: {len(matches)} keys are named so: give the name as list-api-keys shows it",
                  file=sys.stderr)
            return 1
        role = revoke(session, matches[0]) if matches else None
    if role is None:
        print(f"creditsvc: no key is named {args.name!r}", file=sys.stderr)
        return 1
    print(f"revoked {_shown(matches[0])!r} ({role}); a worker that saw it in the last {KEY_CACHE_SECONDS:.0f} s "
          f"takes it until then")
    return 0


def close_period(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import sessionmaker

    from . import clock, db
    from .config import seller
    from .services.close import close_period as close

    from zoneinfo import ZoneInfo

    from .calculators.errors import DomainError
    from .calculators.periods import month_period

    try:
        month_period(args.period, ZoneInfo("UTC"))  # the same checks as the API's periods
    except DomainError as error:
        print(f"creditsvc: {error.message} (e.g. 2026-09), not {args.period!r}", file=sys.stderr)
        return 2
    url = _database_url()
    # Not db.upgrade: run from the wrong folder (the default database is ./creditsvc.sqlite3) or with a
    # mistyped URL, it made an empty database, and the close said "0 contracts" and ended 0. A dry run
    # writes nothing, so it does not migrate either.
    versions = db.schema_versions(url)
    if not versions:
        state = "does not exist" if versions is None else "has no schema"
        print(f"creditsvc: the database {_which_database()}{state}: nothing to close (is CREDITSVC_DATABASE_URL "
              "the service's? creditsvc db upgrade creates one)", file=sys.stderr)
        return 1
    if args.dry_run and (behind := db.schema_behind(versions)):
        print(f"creditsvc: the database {_which_database()}is not ready: {behind}", file=sys.stderr)
        return 1
    # The run migrates first, which a newer release's schema refuses: its dry run says so, as it will end.
    if args.dry_run and (unknown := db.schema_unknown(versions)):
        print(f"creditsvc: {unknown}", file=sys.stderr)
        return 1
    if not args.dry_run:
        db.upgrade(url)
    engine = db.make_engine(url)
    # A terminal gets a progress bar; a log gets one line per note as it is issued.
    bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    if not seller().get("name") and not args.dry_run:
        print(f"creditsvc: warning: {NO_SELLER}", file=sys.stderr)
    summary = close(sessionmaker(engine, expire_on_commit=False), args.period,
                    clock.now(), dry_run=args.dry_run,
                    seller=seller(), progress=bar or _log_event)
    engine.dispose()
    if bar:
        bar.finish()
    print(f"close-period {args.period}{' (dry run)' if args.dry_run else ''}: {summary.contracts} contracts, "
          f"{len(summary.owed)} owed a credit")
    stale = {contract_id: (number, total) for contract_id, number, total, _now, _parts in summary.stale}
    if args.dry_run:
        skipped, issued = dict(summary.skipped), dict(summary.already)
        owed = {contract_id for contract_id, _ in summary.owed}
        for contract_id, total in summary.owed:
            if contract_id in issued:  # the note's own total: what was credited, not what is owed now
                number, credited = stale.get(contract_id, (issued[contract_id], total))
                print(f"  already issued: {contract_id} {number} {credited}")
            else:
                state = f"would skip ({skipped[contract_id]})" if contract_id in skipped else "would issue"
                print(f"  {state}: {contract_id} {total}")
        for contract_id, reason in summary.skipped:  # contracts whose statement cannot be computed
            if contract_id not in owed:
                print(f"  would skip ({reason}): {contract_id}")
    else:
        print(f"  issued now: {len(summary.issued)}   issued before: {len(summary.already)}   "
              f"skipped: {len(summary.skipped)}")
        for contract_id, reason in summary.skipped:
            print(f"  skipped {contract_id}: {reason}")
    for contract_id, number, credited, now, parts in summary.stale:
        refused = summary.uncorrectable.get(contract_id)  # e.g. its claim window closed since (rules.md §10)
        advice = f"no correction can be issued now: {refused}" if refused else \
            f"issue a correction (POST /v1/contracts/{contract_id}/credit-notes with supersede)"
        # the same total with, say, a cash refund for a deduction: say what else changed
        other = f" with other figures ({', '.join(parts)})" if credited == now else ""
        print(f"  out of date: {contract_id} {number} credits {credited}, the statement now gives {now}{other}; "
              f"{advice}")
    # as the run itself ends: 1 when the operator must look (a contract skipped, a note out of date)
    return 1 if summary.skipped or summary.stale else 0


def _log_event(done: int, total: int, event: str | None) -> None:
    if event:
        print(f"[{done}/{total}] {event}", flush=True)


class ProgressBar:
    """A one-line progress bar for a terminal."""

    def __init__(self, stream, width: int = 30):
        self.stream, self.width, self.drawn = stream, width, False

    def __call__(self, done: int, total: int, _event: str | None = None) -> None:
        filled = self.width * done // max(total, 1)
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total}")
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:  # a close with nothing owed draws no bar, and ends no line
            self.stream.write("\n")


def calculate(args: argparse.Namespace) -> int:
    """POST /v1/calculations without a server: a request's JSON in, the statement's JSON (or PDF) out,
    through the same schema, calculators and dump. Bad input is one line and the errors as JSON."""
    import json
    from pathlib import Path

    from marshmallow import ValidationError

    from .api.calculations import contract_document
    from .calculators.errors import DomainError
    from .calculators.statement import compute_statement
    from .jsonio import loads, reason
    from .policies import flatten_errors
    from .schemas.calculation import CalculationRequestSchema
    from .schemas.statement import dump_statement

    try:
        raw = sys.stdin.buffer.read() if args.request == "-" else Path(args.request).read_bytes()
    except OSError as error:
        print(f"creditsvc: cannot read {args.request}: {error.strerror}", file=sys.stderr)
        return 2
    try:
        data = loads(raw)
    except json.JSONDecodeError as error:  # what the API answers 400, in its words
        print(f"creditsvc: the request cannot be read as JSON: {reason(error)}", file=sys.stderr)
        return 2
    try:
        request = CalculationRequestSchema().load(data)
        statement = dump_statement(compute_statement(request))
    except ValidationError as error:
        print("creditsvc: the request does not validate:", file=sys.stderr)
        print(json.dumps(flatten_errors(error.messages), ensure_ascii=False), file=sys.stderr)
        return 2
    except DomainError as error:
        print(f"creditsvc: {error.code}: {error.message}", file=sys.stderr)
        return 2
    if args.pdf:
        from . import render
        from .config import seller

        document = contract_document(request.contract)
        pdf = render.render_pdf(statement, document, render.pick_locale(document["locale"], args.lang),
                                seller=seller(), as_of=request.as_of)
        try:
            with open(args.pdf, "wb") as out:
                out.write(pdf)
        except OSError as error:
            print(f"creditsvc: cannot write {args.pdf}: {error.strerror}", file=sys.stderr)
            return 2
        return 0
    sys.stdout.write(json.dumps(statement, ensure_ascii=False, indent=2) + "\n")  # dumped: plain JSON values
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


def _which_database() -> str:
    """The database a message is about, password hidden: "unable to open database file" named no file,
    and the default one is in whatever folder the command ran from."""
    from sqlalchemy.engine import make_url

    from .config import SettingError

    try:
        return f"{make_url(_database_url()).render_as_string(hide_password=True)} "
    except SettingError:
        return ""


def _reason(error) -> str:
    from .db import reason as first_line

    reason = first_line(error)
    if reason == "unable to open database file":  # SQLite: the folder is missing or not writable
        reason += " (its folder must exist and be writable)"
    return reason


def main(argv: list[str] | None = None) -> int:
    """An operator's mistake ends with one line on stderr, not a traceback: a setting that cannot be
    used, a database that cannot be reached or refuses, a schema of a newer release, Ctrl-C."""
    from alembic.util import CommandError
    from sqlalchemy.exc import DatabaseError, NoSuchModuleError, OperationalError

    from .config import SettingError

    try:
        return _run(argv)
    except KeyboardInterrupt:  # close-period's notes so far are each committed: running it again finishes
        print("creditsvc: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `creditsvc close-period 2026-09 | head`: the reader left (notes so far are kept)
        # stdout's last flush, at exit, would fail again and print "Exception ignored ... BrokenPipeError"
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("creditsvc: the output was closed before it was all written (broken pipe)", file=sys.stderr)
        return 1
    except SettingError as error:
        print(f"creditsvc: {error}", file=sys.stderr)
        return 2
    except NoSuchModuleError as error:  # postgres+nodriver://
        print(f"creditsvc: CREDITSVC_DATABASE_URL names a database driver that is not installed ({error})",
              file=sys.stderr)
        return 2
    except OperationalError as error:
        print(f"creditsvc: the database {_which_database()}does not answer: {_reason(error)}", file=sys.stderr)
        return 1
    except DatabaseError as error:  # it answers, and refuses: no rights to create tables, another schema
        print(f"creditsvc: the database {_which_database()}refused: {_reason(error)}", file=sys.stderr)
        return 1
    except CommandError as error:  # e.g. a revision of a newer release, after rolling back
        print(f"creditsvc: this release cannot migrate the database's schema: {error}", file=sys.stderr)
        return 1


def _utf8(text: str) -> str:
    try:  # bytes a terminal sent that are not UTF-8 reach Python as lone surrogates, which no database stores
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise argparse.ArgumentTypeError("a key's name is UTF-8 text (the terminal sent other bytes)") from None
    return text


def _unprintable(ch: str) -> bool:
    """Controls, format characters (bidi overrides), unassigned code points, line and paragraph separators."""
    category = unicodedata.category(ch)
    return category[0] == "C" or category in ("Zl", "Zp")


def _key_name(text: str) -> str:
    """A new key's name: what the api_keys table holds (1-100 characters), not blank, and printable: a
    name with a newline and tabs printed as a second row of list-api-keys, a key that does not exist."""
    name = _utf8(text).strip()
    if not name or len(name) > 100:
        raise argparse.ArgumentTypeError("a key's name is 1 to 100 characters, not blank")
    if any(_unprintable(ch) for ch in name):
        raise argparse.ArgumentTypeError("a key's name has no control or format characters (tabs, newlines, "
                                         "bidi overrides)")
    return name


def _shown(name: str) -> str:
    """A stored name as list-api-keys prints it: its unprintable characters (a name stored before they
    were refused) and backslashes escaped, so one name is one field of one line."""
    return "".join(f"\\u{ord(ch):04x}" if _unprintable(ch) else "\\\\" if ch == "\\" else ch for ch in name)


def _whole(minimum: int, maximum: int | None = None):
    """An argparse type: a whole number within bounds (argparse then names the flag and exits 2)."""
    from .config import whole_number

    def parse(text: str) -> int:
        try:
            value = whole_number(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
            raise argparse.ArgumentTypeError(f"must be {bounds}, not {value}")
        return value

    return parse


def _run(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="creditsvc", description="SLA credits and support billing service")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="migrate the database, then serve the HTTP API with gunicorn")
    run.add_argument("--host", default=os.environ.get("CREDITSVC_HOST", "127.0.0.1"))
    # The flags are held to the same bounds as their settings: --workers 0 started a server with no
    # worker, which answered nothing and never exited; --port 99999 ended in a traceback.
    # Unset flags take their settings in `serve` only: a bad CREDITSVC_PORT stopped create-api-key too.
    run.add_argument("--port", type=_whole(0, 65535), help="default: CREDITSVC_PORT, else 8000")
    run.add_argument("--workers", type=_whole(1), help="default: CREDITSVC_WORKERS, else one per CPU")
    run.add_argument("--threads", type=_whole(1), help="default: CREDITSVC_THREADS, else 4")
    run.add_argument("--dev", action="store_true", help="Flask's development server with the reloader")
    run.set_defaults(handler=serve)

    key = commands.add_parser("create-api-key", help="create an API key and print it once, as the last line")
    key.add_argument("--name", required=True, type=_key_name)
    key.add_argument("--role", required=True, help="admin, billing, accounting or sales")
    key.set_defaults(handler=create_api_key)
    commands.add_parser("list-api-keys", help="list the API keys' names, roles and creation times (never "
                                              "the keys)").set_defaults(handler=list_api_keys)
    revoking = commands.add_parser("revoke-api-key", help="delete an API key: requests with it get 401")
    revoking.add_argument("--name", required=True, type=_utf8, help="as list-api-keys shows it, or as created")
    revoking.set_defaults(handler=revoke_api_key)

    database = commands.add_parser("db", help="database maintenance")
    database_commands = database.add_subparsers(dest="db_command", required=True)
    database_commands.add_parser("upgrade", help="create or migrate the schema").set_defaults(handler=db_upgrade)

    commands.add_parser("openapi", help="print the OpenAPI document").set_defaults(handler=openapi)

    calc = commands.add_parser("calculate", help="compute a statement from a calculation request (as POST "
                                                 "/v1/calculations does), without a server or database")
    calc.add_argument("request", help="the request's JSON file, or - for standard input")
    calc.add_argument("--pdf", metavar="FILE", help="write the statement as PDF here instead of printing JSON")
    calc.add_argument("--lang", choices=["vi", "da", "en"], help="the PDF's language (default: the contract's)")
    calc.set_defaults(handler=calculate)

    closing = commands.add_parser("close-period", help="issue the credit notes every contract is owed for a month")
    closing.add_argument("period", help="YYYY-MM")
    closing.add_argument("--dry-run", action="store_true", help="print what would be issued; write nothing")
    closing.set_defaults(handler=close_period)

    args = parser.parse_args(argv)
    if args.handler is calculate and args.lang and not args.pdf:
        # the JSON has no language: --lang alone was ignored, and the statement printed as if not asked
        parser.error("calculate: --lang is the PDF's language; give --pdf FILE with it")
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
