"""Storage: migrations match the models, money stays exact, and the CLI manages keys."""
import os
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal

from alembic import command
from sqlalchemy import select

from creditsvc import db
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


def test_create_api_key_refuses_an_unknown_role(database_url):
    result = subprocess.run([sys.executable, "-m", "creditsvc.cli", "create-api-key", "--name", "x", "--role", "god"],
                            capture_output=True, text=True, env={**os.environ, "CREDITSVC_DATABASE_URL": database_url})
    assert result.returncode == 2 and "role" in result.stderr
