"""Engine, sessions and migrations. `CREDITSVC_DATABASE_URL` picks the database (SQLite by default)."""
from __future__ import annotations

import os
import sqlite3
import time
from importlib import resources

from functools import lru_cache

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask, current_app, g
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool


READ_ONLY = "creditsvc_read_only"


def read_only(session: Session) -> Session:
    """`session` with its next transaction begun as a read (on SQLite without the write lock); one
    already begun is left as it is. For reads that write nothing before the transaction ends."""
    if not session.in_transaction():
        session.connection(execution_options={READ_ONLY: True})
    return session


def _created_private(engine: Engine) -> Engine:
    """An SQLite engine that creates its database file, when it does not exist yet, readable by its
    owner only (0600): SQLite creates it under the umask (0644 at umask 022), world-readable, and it
    holds the API key hashes and the billing data. SQLite gives the -wal and -shm files it creates the
    database file's mode. A file that exists keeps the mode it has (its operator chose it)."""

    @event.listens_for(engine, "do_connect")
    def _create_file(_dialect, _record, cargs, cparams):
        path = cargs[0] if cargs else None
        # the dialect's path (absolute); not an in-memory database, nor a file: URI (?uri=true)
        if not isinstance(path, str) or path in ("", ":memory:") or cparams.get("uri"):
            return
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # an empty file is an empty database
        except OSError:  # it exists, or its folder does not: SQLite opens it or says why, as before
            pass

    return engine


WAL_SECONDS = 30  # as long as the busy timeout


def into_wal(cursor, seconds: float = WAL_SECONDS) -> None:
    """PRAGMA journal_mode=WAL, retried while another connection holds the database: on a new file
    (still a rollback journal) the switch needs it alone, and where SQLite sees a deadlock it answers
    "database is locked" at once instead of waiting out the busy timeout. One of six replicas migrating
    a new database together failed so in a CI run (test_replicas_migrating_one_new_database_at_once...).
    A database in WAL mode stays so, and the switch is then a read of the mode."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = _created_private(create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}))

        @event.listens_for(engine, "connect")
        def _sqlite_settings(dbapi_connection, _record):
            # Let SQLAlchemy, not pysqlite, say when transactions begin (see _begin_immediate).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=30000")
            into_wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection):
            # Take the write lock at BEGIN: two writers then queue instead of failing halfway
            # with SQLITE_BUSY when one upgrades a read transaction to a write. A transaction begun
            # by `read_only` only reads, and under WAL a reader never waits for the writer: a key
            # lookup took the write lock, so a flood of unknown keys, which needs no key, held up writes.
            connection.exec_driver_sql("BEGIN" if connection.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

        return engine
    # A database that stops answering fails a new connection after 10 s rather than hanging a worker.
    # READ COMMITTED whatever the database's default_transaction_isolation: writing records and issuing a
    # note lock the contract's row and then read, and only READ COMMITTED reads what committed while a
    # statement waited for that lock. Under REPEATABLE READ a note missed a record stored (201) meanwhile.
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, isolation_level="READ COMMITTED",
                         connect_args={"connect_timeout": 10})


def reason(error: Exception) -> str:
    """The first line of what the database (the DBAPI error under SQLAlchemy's) said."""
    return (str(getattr(error, "orig", None) or error).strip().splitlines() or ["no reason given"])[0]


PROBE_SECONDS = 2


def make_probe_engine(url: str) -> Engine:
    """For /readyz: a fresh connection each time (no pool), that gives up within seconds.

    A pooled connection proves nothing about the database now (an SQLite file made unreadable, a
    PostgreSQL that stopped answering), and a probe must never wait behind the service's own work:
    it takes no write lock on SQLite, and on PostgreSQL it bounds both connecting and the query.
    """
    if url.startswith("sqlite"):
        return _created_private(create_engine(url, poolclass=NullPool, connect_args={"timeout": PROBE_SECONDS}))
    return create_engine(url, poolclass=NullPool, connect_args={
        "connect_timeout": PROBE_SECONDS, "options": f"-c statement_timeout={PROBE_SECONDS * 1000}"})


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("creditsvc.db").joinpath("migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@lru_cache(maxsize=1)
def _migrations() -> tuple[frozenset[str], frozenset[str]]:
    """(the head revisions this release ships, every revision it knows)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return frozenset(script.get_heads()), frozenset(revision.revision for revision in script.walk_revisions())


def schema_behind(versions: list[str]) -> str | None:
    """Why a database whose alembic_version holds `versions` cannot serve this release, or None. A schema
    older than this release's (or none) cannot; a newer one, which a release being rolled out migrated
    to while this one still serves, can: migrations only add."""
    heads, known = _migrations()
    if not versions:
        return "The database has no schema yet: run creditsvc db upgrade."
    if heads & set(versions) or not set(versions) <= known:
        return None
    return (f"The database schema is at revision {', '.join(sorted(versions))}; this release needs "
            f"{', '.join(sorted(heads))}: run creditsvc db upgrade.")


def schema_unknown(versions: list[str]) -> str | None:
    """Why this release cannot migrate a database whose alembic_version holds `versions` (a revision it
    does not know, a newer release's: `db upgrade` ends with alembic's CommandError), or None."""
    unknown = sorted(set(versions) - _migrations()[1])
    if not unknown:
        return None
    return (f"this release cannot migrate the database's schema: revision {', '.join(unknown)} is not "
            "one of its own (a newer release's).")


def versions_in(engine: Engine) -> list[str] | None:
    """The revisions the database's alembic_version holds ([] when it has no schema), or None when it is
    an SQLite file that does not exist. Creates nothing: connecting to a missing SQLite file makes one."""
    database = engine.url.database
    if engine.url.get_backend_name() == "sqlite" and database and database != ":memory:" and \
            not os.path.exists(database):
        return None
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return []
        return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


def schema_versions(url: str) -> list[str] | None:
    """versions_in the database at `url`, through an engine of its own."""
    # On SQLite a plain reader: make_engine's connection would switch the file to WAL, writing it.
    engine = create_engine(url, poolclass=NullPool) if url.startswith("sqlite") else make_engine(url)
    try:
        return versions_in(engine)
    finally:
        engine.dispose()


def upgrade(url: str) -> None:
    """Create or migrate the schema to the newest revision."""
    command.upgrade(alembic_config(url), "head")


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_probe"] = make_probe_engine(app.config["DATABASE_URL"])
    app.extensions["db_sessions"] = sessionmaker(engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close_session(_exc):
        db_session = g.pop("db_session", None)
        if db_session is not None:
            db_session.close()


def end_transaction() -> None:
    """End the request's transaction, if it has one, before slow work that needs no database (a PDF):
    on SQLite every transaction holds the write lock until it ends."""
    db_session = g.get("db_session")
    if db_session is not None:
        db_session.rollback()


def session() -> Session:
    """The request's session (one per app context)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessions"]()
    return g.db_session
