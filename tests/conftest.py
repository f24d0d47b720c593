"""Fixtures shared by the API and storage tests.

Every test that needs a database runs on SQLite, and again on PostgreSQL when
CREDITSVC_TEST_DATABASE_URL is set (CI sets it).
"""
import os
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from creditsvc import clock, create_app, db
from creditsvc.db.models import Base
from creditsvc.services.auth import ROLES, create_api_key

POSTGRES_URL = os.environ.get("CREDITSVC_TEST_DATABASE_URL")

# The day every test runs on: the worked examples are September and October 2026, whose claim
# windows and termination deadlines are still open then. On the real clock they close one by one
# (the September 2026 notice deadline passed on 2026-12-01 and took a test with it).
TODAY = datetime(2026, 11, 15, 10, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    """Every "now" of the service is TODAY; a test moves it with `fixed_clock.set(moment)`."""

    class Clock:
        moment = TODAY

        def set(self, moment):
            self.moment = moment

    fixed = Clock()
    monkeypatch.setattr(clock, "now", lambda: fixed.moment)
    return fixed
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    else:
        url = POSTGRES_URL
        engine = db.make_engine(url)
        with engine.begin() as connection:
            Base.metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()
    db.upgrade(url)
    return url


def _empty(engine) -> None:
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def app(database_url):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url})
    yield app
    _empty(app.extensions["db_engine"])
    app.extensions["db_engine"].dispose()


@pytest.fixture
def keys(app):
    """One API key per role."""
    with app.app_context():
        return {role: create_api_key(db.session(), f"test-{role}", role) for role in ROLES}


@pytest.fixture
def client_as(app, keys):
    """A test client that sends the key of a role (or none)."""

    def make(role=None):
        client = app.test_client()
        if role is not None:
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {keys[role]}"
        return client

    return make


@pytest.fixture
def client(client_as):
    """A billing client: the role that writes records, calculates and issues notes."""
    return client_as("billing")
