"""Storage: migrations match the models, money stays exact, and the CLI manages keys."""
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from creditsvc import create_app, db
from creditsvc.db.models import Contract, SupportCase


def test_the_migrations_create_exactly_the_models_schema(database_url):
    command.check(db.alembic_config(database_url))  # raises when autogenerate would find a difference


def test_money_round_trips_exactly_through_the_database(app):
    now = datetime.now(timezone.utc)
    km = Decimal("123456789012345678901234567890.1234")  # 34 digits: past float, inside NUMERIC(38, 4)
    with app.app_context():
        session = db.session()
        session.add(Contract(id="c", document={}, policy_document={}, policy_version="v", currency="DKK",
                             timezone="UTC", created_at=now, updated_at=now))
        session.add(SupportCase(contract_id="c", id="s", started_at=now, ended_at=now, level="1", km=km,
                                description="", content_hash="h", created_at=now, updated_at=now))
        session.commit()
        session.expire_all()
        stored = session.execute(select(SupportCase)).scalar_one()
        assert stored.km == km and isinstance(stored.km, Decimal)
        assert stored.started_at == now and stored.started_at.tzinfo == timezone.utc


def test_create_api_key_prints_the_key_once_as_the_last_line_and_it_authenticates(app, database_url):
    result = subprocess.run([sys.executable, "-m", "creditsvc.cli", "create-api-key", "--name", "ops",
                             "--role", "accounting"], capture_output=True, text=True,
                            env={**os.environ, "CREDITSVC_DATABASE_URL": database_url}, check=True)
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("csk_") and len(key) > 40
    client = app.test_client()
    response = client.get("/v1/policy-templates", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    forbidden = client.post("/v1/calculations", json={}, headers={"Authorization": f"Bearer {key}"})
    assert forbidden.status_code == 403
    with app.app_context():
        from creditsvc.db.models import ApiKey
        stored = db.session().execute(select(ApiKey).where(ApiKey.name == "ops")).scalar_one()
        assert key not in (stored.key_hash, stored.name) and len(stored.key_hash) == 64


def _cli(database_url, *args):
    return subprocess.run([sys.executable, "-m", "creditsvc.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "CREDITSVC_DATABASE_URL": database_url})


def test_a_revoked_key_is_refused_and_list_api_keys_shows_names_and_roles_never_keys(app, database_url):
    # A leaked key could only be removed with SQL against the api_keys table, which the README did not name.
    key = _cli(database_url, "create-api-key", "--name", "ops", "--role", "billing").stdout.splitlines()[-1]
    other = _cli(database_url, "create-api-key", "--name", "ledger", "--role", "accounting").stdout.splitlines()[-1]
    listed = _cli(database_url, "list-api-keys")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert rows[0] == ["name", "role", "created_at"]
    assert [row[:2] for row in rows[1:]] == [["ledger", "accounting"], ["ops", "billing"]]
    assert key not in listed.stdout and other not in listed.stdout
    with app.app_context():
        from creditsvc.db.models import ApiKey
        hashes = db.session().execute(select(ApiKey.key_hash)).scalars().all()
    assert not any(h in listed.stdout for h in hashes)
    seen = app.test_client()
    assert seen.get("/v1/policy-templates", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    revoked = _cli(database_url, "revoke-api-key", "--name", "ops")
    assert revoked.returncode == 0 and "revoked 'ops' (billing)" in revoked.stdout, revoked.stderr
    assert "in the last 30 s" in revoked.stdout
    # this app's cache saw the key: it takes it until the entry expires, as the command says
    assert seen.get("/v1/policy-templates", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    fresh = create_app({"TESTING": True, "DATABASE_URL": database_url})  # a worker that had not seen it
    try:
        client = fresh.test_client()
        assert client.get("/v1/policy-templates", headers={"Authorization": f"Bearer {key}"}).status_code == 401
        assert client.get("/v1/policy-templates", headers={"Authorization": f"Bearer {other}"}).status_code == 200
    finally:
        fresh.extensions["db_engine"].dispose()
    again = _cli(database_url, "revoke-api-key", "--name", "ops")
    assert again.returncode == 1 and again.stderr.strip() == "creditsvc: no key is named 'ops'"
    assert [line.split("\t")[0] for line in _cli(database_url, "list-api-keys").stdout.splitlines()] == \
        ["name", "ledger"]


def test_create_api_key_refuses_an_unknown_role(database_url):
    result = subprocess.run([sys.executable, "-m", "creditsvc.cli", "create-api-key", "--name", "x", "--role", "god"],
                            capture_output=True, text=True, env={**os.environ, "CREDITSVC_DATABASE_URL": database_url})
    assert result.returncode == 2 and "role" in result.stderr


@pytest.fixture
def fresh_database_url(database_url, tmp_path):
    """An empty database of the same kind as `database_url`, dropped afterwards."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    name = f"creditsvc_fresh_{os.getpid()}"
    admin = create_engine(database_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield database_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)  # the usual one: files created under it are world-readable (0644)
    yield
    os.umask(previous)


def _modes(folder) -> dict[str, str]:
    return {path.name: oct(path.stat().st_mode & 0o777) for path in sorted(folder.iterdir())}


def test_a_new_sqlite_database_and_its_wal_files_are_readable_by_their_owner_only(tmp_path, umask_022):
    # The file holds the API key hashes and the billing data; it was created 0644 under umask 022.
    (tmp_path / "migrated").mkdir()
    db.upgrade(f"sqlite:///{tmp_path / 'migrated' / 'x.sqlite3'}")  # creditsvc serve and db upgrade
    assert _modes(tmp_path / "migrated") == {"x.sqlite3": "0o600"}
    (tmp_path / "served").mkdir()
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'served' / 'x.sqlite3'}"})
    engine = app.extensions["db_engine"]
    with engine.connect() as connection:  # WAL: the -wal and -shm files live while a connection is open
        connection.execute(text("CREATE TABLE t (a INTEGER)"))
        connection.commit()
        assert _modes(tmp_path / "served") == {"x.sqlite3": "0o600", "x.sqlite3-shm": "0o600",
                                               "x.sqlite3-wal": "0o600"}
    engine.dispose()
    # A file someone set up keeps the mode they gave it
    (tmp_path / "existing").mkdir()
    (tmp_path / "existing" / "x.sqlite3").touch(mode=0o640)
    db.upgrade(f"sqlite:///{tmp_path / 'existing' / 'x.sqlite3'}")
    assert _modes(tmp_path / "existing") == {"x.sqlite3": "0o640"}


def test_replicas_migrating_one_new_database_at_once_all_succeed(fresh_database_url):
    # Replicas starting together each migrate first (creditsvc serve). On PostgreSQL two of three
    # crashed with UniqueViolation on pg_type while creating the same tables. On SQLite, once there
    # were two revisions, one replica in about 50 read 0001 while another created 0002's table.
    runs = [subprocess.Popen([sys.executable, "-c", f"from creditsvc import db; db.upgrade({fresh_database_url!r})"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(6)]
    outcomes = [(run.wait(timeout=120), run.stderr.read()) for run in runs]
    for run in runs:
        run.stdout.close()
        run.stderr.close()
    assert [code for code, _ in outcomes] == [0] * 6, [err[-500:] for _, err in outcomes]
    command.check(db.alembic_config(fresh_database_url))


def test_a_cached_key_is_looked_up_again_once_its_time_in_the_cache_is_over(app, monkeypatch):
    # A key deleted from the database stops working within the cache's 30 s, not at the next restart.
    from creditsvc.db.models import ApiKey
    from creditsvc.services import auth

    now = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: now[0])
    cache = auth.KeyCache()
    with app.app_context():
        session = db.session()
        key = auth.create_api_key(session, "leaver", "billing")
        assert auth.authenticate(session, key, cache) == auth.Caller("leaver", "billing")
        session.execute(ApiKey.__table__.delete().where(ApiKey.name == "leaver"))
        session.commit()
        now[0] += 29
        assert auth.authenticate(session, key, cache) is not None  # still cached
        now[0] += 2
        assert auth.authenticate(session, key, cache) is None


def test_a_note_issued_while_a_record_is_being_stored_includes_it_whatever_the_databases_default_isolation(
        app, client, database_url, monkeypatch):
    # Storing records and issuing a note both lock the contract's row, and issuing reads the records after
    # the lock: that is only safe under READ COMMITTED, where each statement sees what committed before it.
    # A database whose default is REPEATABLE READ (`ALTER DATABASE ... SET default_transaction_isolation`,
    # here PGOPTIONS) read the records in the snapshot taken before the wait for the lock, and the note
    # missed an incident that had been stored (201) while it waited.
    import threading

    from tests.api.conftest import CONTRACT_3CX, SEPTEMBER_3CX

    from creditsvc.db.models import CreditNote, Incident
    from creditsvc.services import credit_notes
    from creditsvc.services.contracts import get_contract_row

    monkeypatch.setenv("PGOPTIONS", r"-c default_transaction_isolation=repeatable\ read")
    assert client.put("/v1/contracts/acme-3cx", json=CONTRACT_3CX).status_code == 201
    assert client.post("/v1/contracts/acme-3cx/incidents", json=SEPTEMBER_3CX["incidents"][0]).status_code == 201
    engine = db.make_engine(database_url)
    try:
        holder, issuer = Session(engine), Session(engine)
        get_contract_row(holder, "acme-3cx", lock=True)  # as records.ingest does, then stores one
        moment = datetime(2026, 9, 20, 2, 0, tzinfo=timezone.utc)
        holder.add(Incident(contract_id="acme-3cx", id="late", started_at=moment, ended_at=moment.replace(hour=5),
                            severity="critical", cause="provider", notice_given_at=None, description="",
                            content_hash="h", created_at=moment, updated_at=moment))
        holder.flush()
        issued = {}
        thread = threading.Thread(target=lambda: issued.update(note=credit_notes.issue(issuer, "acme-3cx", "2026-09")[0]))
        thread.start()
        _wait_until_blocked(engine, thread)
        holder.commit()
        thread.join(timeout=60)
        note = issued["note"]
        assert sorted(r["id"] for r in note.inputs["records"]["incidents"]) == ["inc-1", "late"]
        holder.close()
        issuer.close()
    finally:
        engine.dispose()
    with app.app_context():
        assert db.session().execute(select(CreditNote.number)).scalars().all() == [note.number]


def _wait_until_blocked(engine, thread) -> None:
    """Until the thread's session waits for a lock (PostgreSQL), or a moment (SQLite, where it waits in BEGIN)."""
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and thread.is_alive():
        if engine.dialect.name != "postgresql":
            time.sleep(0.5)
            return
        with engine.connect() as connection:
            if connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND wait_event_type = 'Lock'")).scalar():
                return
        time.sleep(0.05)


def test_a_request_to_a_database_without_the_schema_is_a_503_on_postgresql_as_on_sqlite(database_url, tmp_path):
    # A database recreated or being restored under a running service has no tables for a while. SQLite
    # says "no such table" (OperationalError: 503, retry); PostgreSQL says UndefinedTable, a
    # ProgrammingError, and the same request was a 500 "unexpected error" with a traceback.
    from sqlalchemy.engine import make_url

    from creditsvc import create_app

    schema = "creditsvc_no_schema"
    if database_url.startswith("postgresql"):
        admin = create_engine(database_url)
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"}) \
            .render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    app = create_app({"DATABASE_URL": url})
    try:
        response = app.test_client().get("/v1/contracts/c", headers={"Authorization": "Bearer csk_whatever"})
        assert response.status_code == 503 and response.mimetype == "application/problem+json"
        assert response.json["code"] == "database_unavailable" and response.headers["Retry-After"] == "5"
    finally:
        app.extensions["db_engine"].dispose()
        if database_url.startswith("postgresql"):
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


def test_the_migrations_build_the_schema_the_models_describe(database_url):
    # An index added to a model but not to a migration exists in tests that create_all, not in production.
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from creditsvc.db.models import Base

    engine = db.make_engine(database_url)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()


def test_a_key_name_with_controls_is_refused_and_a_stored_one_lists_escaped_and_can_be_revoked(app, database_url):
    # A name with a newline and tabs printed as a second row of list-api-keys: an admin key that does not exist.
    forged = _cli(database_url, "create-api-key", "--name", "x\nroot\tadmin\t2026-01-01T00:00:00+00:00",
                  "--role", "sales")
    assert forged.returncode == 2 and "no control or format characters" in forged.stderr
    assert _cli(database_url, "create-api-key", "--name", "đối soát \u202eevil", "--role", "sales").returncode == 2
    from creditsvc.db.models import ApiKey
    long = "l" * (120 if database_url.startswith("sqlite") else 100)  # SQLite does not hold VARCHAR(100)
    with app.app_context():  # as earlier releases stored them: untrimmed, with a tab, over 100 on SQLite
        session = db.session()
        for k, name in enumerate(("legacy ", "tab\there", long)):
            session.add(ApiKey(name=name, role="sales", key_hash=f"{k:064d}", created_at=datetime.now(timezone.utc)))
        session.commit()
    listed = _cli(database_url, "list-api-keys").stdout.splitlines()
    assert len(listed) == 4 and all(line.count("\t") == 2 for line in listed)
    assert listed[3].startswith("tab\\u0009here\tsales\t")  # by name: legacy, l..., tab
    for given in ("legacy", "tab\\u0009here", long):
        revoked = _cli(database_url, "revoke-api-key", "--name", given)
        assert revoked.returncode == 0, (given, revoked.stderr)
    assert _cli(database_url, "list-api-keys").stdout.splitlines() == ["name\trole\tcreated_at"]


def test_the_switch_to_wal_is_retried_while_another_connection_holds_a_new_database():
    # SQLite answers "database is locked" at once where it sees a deadlock, without the busy timeout:
    # one of six replicas migrating a new database together failed so in CI
    class Cursor:
        def __init__(self, failures, message="database is locked"):
            self.failures, self.message, self.calls = failures, message, 0

        def execute(self, sql):
            assert sql == "PRAGMA journal_mode=WAL"
            self.calls += 1
            if self.calls <= self.failures:
                raise sqlite3.OperationalError(self.message)

    locked_twice = Cursor(2)
    db.into_wal(locked_twice)
    assert locked_twice.calls == 3
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        db.into_wal(Cursor(10**6), seconds=0.2)  # not for ever
    other = Cursor(1, "disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk"):
        db.into_wal(other)
    assert other.calls == 1  # any other error at once
