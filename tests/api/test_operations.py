"""Operations: month-end close (and its kill-and-rerun), readiness, request ids, JSON logs, metrics."""
import json
import logging
import os
import socket
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from sqlalchemy import select

from creditsvc import db
from creditsvc.db.models import BugOccurrence, Contract, CreditNote
from tests.api.conftest import CONTRACT_3CX, SEPTEMBER_3CX

INCIDENT = SEPTEMBER_3CX["incidents"][0]


def make_contracts(client, count, owed=True):
    for k in range(count):
        cid = f"close-{k:03d}"
        client.put(f"/v1/contracts/{cid}", json={**CONTRACT_3CX, "id": cid})
        if owed:
            client.post(f"/v1/contracts/{cid}/incidents", json=INCIDENT)


def run_close(database_url, *args, **popen):
    return subprocess.Popen([sys.executable, "-m", "creditsvc.cli", "close-period", *args],
                            env={**os.environ, "CREDITSVC_DATABASE_URL": database_url},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def notes(app):
    with app.app_context():
        session = db.session()
        rows = session.execute(select(CreditNote.contract_id, CreditNote.sequence)
                               .order_by(CreditNote.sequence)).all()
        session.rollback()  # no snapshot kept between polls
        return rows


def test_close_period_issues_every_owed_note_once_and_a_dry_run_writes_nothing(app, client, database_url):
    make_contracts(client, 3)
    make_contracts_quiet = {**CONTRACT_3CX, "id": "quiet"}
    client.put("/v1/contracts/quiet", json=make_contracts_quiet)
    dry = run_close(database_url, "2026-09", "--dry-run")
    out, err = dry.communicate(timeout=120)
    assert dry.returncode == 0, err
    assert "4 contracts, 3 owed a credit" in out and out.count("would issue: close-") == 3
    assert notes(app) == []
    first = run_close(database_url, "2026-09")
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert "issued now: 3   issued before: 0" in out
    again = run_close(database_url, "2026-09")
    out, _ = again.communicate(timeout=120)
    assert "issued now: 0   issued before: 3" in out
    issued = notes(app)
    assert sorted(n.contract_id for n in issued) == ["close-000", "close-001", "close-002"]
    assert [n.sequence for n in issued] == [1, 2, 3]
    # the service's metrics count the notes another process issued
    assert "creditsvc_credit_notes_issued_total 3.0" in client.get("/metrics").get_data(as_text=True)


def test_a_close_period_dry_run_says_what_the_run_will_skip_and_ends_as_it_will(app, client, database_url):
    # The dry run said "would issue" for a contract whose month still had an open incident, and
    # exited 0; the run then skipped it (statement_provisional) and exited 1.
    make_contracts(client, 2)
    open_incident = {**INCIDENT, "id": "still-open", "started_at": "2026-09-20T09:00:00+07:00", "ended_at": None}
    assert client.post("/v1/contracts/close-001/incidents", json=open_incident).status_code == 201
    dry = run_close(database_url, "2026-09", "--dry-run")
    out, err = dry.communicate(timeout=120)
    assert dry.returncode == 1, err
    assert "would issue: close-000" in out and "would skip (statement_provisional" in out
    assert notes(app) == []
    run = run_close(database_url, "2026-09")
    out, err = run.communicate(timeout=120)
    assert run.returncode == 1 and "skipped close-001: statement_provisional" in out
    assert [n.contract_id for n in notes(app)] == ["close-000"]


@pytest.mark.parametrize("seller", [None, "Công ty Phần mềm Vàng"])
def test_close_period_warns_when_its_notes_would_print_no_seller(app, client, database_url, monkeypatch, seller):
    # A shell without CREDITSVC_SELLER_NAME issued and froze 39 notes with a blank seller, silently.
    for name in ("NAME", "ADDRESS", "TAX_ID", "EMAIL"):
        monkeypatch.delenv(f"CREDITSVC_SELLER_{name}", raising=False)
    if seller:
        monkeypatch.setenv("CREDITSVC_SELLER_NAME", seller)
    make_contracts(client, 1)
    run = run_close(database_url, "2026-09")
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0 and "issued now: 1" in out
    assert ("CREDITSVC_SELLER_NAME is not set" in err) is (seller is None)


def test_close_period_killed_halfway_and_run_again_issues_each_note_exactly_once(app, client, database_url):
    total = 200
    make_contracts(client, total)
    process = run_close(database_url, "2026-09")
    for _ in range(10):  # one line per note as it is issued: kill after the tenth
        assert process.stdout.readline().startswith("[")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    at_kill = len(notes(app))
    assert 0 < at_kill < total, f"the run must be killed halfway (it had issued {at_kill} of {total})"
    rerun = run_close(database_url, "2026-09")
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    issued = notes(app)
    assert len(issued) == total
    assert sorted(n.contract_id for n in issued) == [f"close-{k:03d}" for k in range(total)]
    assert [n.sequence for n in issued] == list(range(1, total + 1))  # unbroken series
    assert f"issued before: {at_kill}" in out


@pytest.mark.parametrize("period, says", [
    ("September", "a period is written YYYY-MM (e.g. 2026-09), not 'September'"),
    ("2026-13", "a period is written YYYY-MM (e.g. 2026-09), not '2026-13'"),  # "YYYY-MM: the period is YYYY-MM"
    ("0000-01", "periods lie between 1970 and 2199 (e.g. 2026-09), not '0000-01'"),
    ("1969-12", "periods lie between 1970 and 2199"), ("2200-01", "periods lie between 1970 and 2199"),
])
def test_close_period_refuses_a_malformed_or_far_period(database_url, period, says):
    process = run_close(database_url, period)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2 and says in err and "Traceback" not in err
    assert err.count("YYYY-MM") <= 1


def test_close_period_says_which_issued_note_a_later_record_made_out_of_date(app, client, database_url):
    # The dry run printed "already issued: close-000 2000000" beside a live note of 400000, and
    # neither run said the note no longer matched its month.
    make_contracts(client, 2)
    first = run_close(database_url, "2026-09")
    assert first.communicate(timeout=120)[0].count("issued now: 2") == 1 and first.returncode == 0
    longer = {**INCIDENT, "id": "late-outage", "started_at": "2026-09-20T09:00:00+07:00",
              "ended_at": "2026-09-21T09:00:00+07:00"}
    assert client.post("/v1/contracts/close-000/incidents?supersede=true", json=longer).status_code == 201
    now_owed = client.get("/v1/contracts/close-000/statements/2026-09").json["credit_total"]
    with app.app_context():
        number = db.session().execute(select(CreditNote.number).where(CreditNote.contract_id == "close-000")).scalar_one()
    note = client.get(f"/v1/credit-notes/{number}").json
    assert note["credit_total"] == "400000" and now_owed != "400000"
    dry = run_close(database_url, "2026-09", "--dry-run")
    out, err = dry.communicate(timeout=120)
    assert dry.returncode == 1, err  # as the run ends: the operator must look
    assert f"already issued: close-000 {note['number']} 400000\n" in out
    assert f"out of date: close-000 {note['number']} credits 400000, the statement now gives {now_owed}" in out
    assert "out of date: close-001" not in out
    run = run_close(database_url, "2026-09")
    out, err = run.communicate(timeout=120)
    assert run.returncode == 1 and "issued now: 0   issued before: 2" in out
    assert f"out of date: close-000 {note['number']} credits 400000" in out
    assert len(notes(app)) == 2  # a correction is the accountant's to issue, not the close's



def test_close_period_says_a_note_is_out_of_date_when_its_figures_change_with_the_same_total(app, client,
                                                                                          database_url):
    # The check compared credit totals only: a contract whose term now ends before the next quarter
    # refunds its 400000 in cash within 5 days (rules.md §10), which a correction re-issues, but the
    # close said nothing and ended 0, so the accountant's note still said "deducted from the payment".
    make_contracts(client, 1)
    first = run_close(database_url, "2026-09")
    assert first.communicate(timeout=120)[0].count("issued now: 1") == 1 and first.returncode == 0
    [(_, sequence)] = notes(app)
    number = f"CN-{datetime.now(timezone.utc).year}-{sequence:06d}"
    assert client.put("/v1/contracts/close-000", json={**CONTRACT_3CX, "id": "close-000",
                                                       "ends_on": "2026-10-01"}).status_code == 200
    now = client.get("/v1/contracts/close-000/statements/2026-09").json
    assert now["credit_total"] == "400000" and now["application"]["cash_refund"] is True
    dry = run_close(database_url, "2026-09", "--dry-run")
    out, err = dry.communicate(timeout=120)
    assert dry.returncode == 1, err
    assert f"out of date: close-000 {number} credits 400000, the statement now gives 400000 " \
           f"with other figures (application);" in out
    corrected = client.post("/v1/contracts/close-000/credit-notes", json={"period": "2026-09", "supersede": True})
    assert corrected.status_code == 201 and corrected.json["supersedes"] == number, corrected.json
    again = run_close(database_url, "2026-09", "--dry-run")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0 and "out of date" not in out, out + err



def test_close_compares_the_notes_a_batch_at_a_time_and_finds_each_out_of_date_one(app, client, monkeypatch):
    # It read every live note's frozen statement of the month at once (2 GB for 10,000 notes of 37 KB).
    from sqlalchemy.orm import sessionmaker

    from creditsvc.services import close

    make_contracts(client, 5)
    with app.app_context():
        sessions = sessionmaker(app.extensions["db_engine"], expire_on_commit=False)
    when = datetime(2026, 10, 15, tzinfo=timezone.utc)
    assert len(close.close_period(sessions, "2026-09", when).issued) == 5
    for cid in ("close-001", "close-004"):  # one in the first batch of two, one in the last, alone
        assert client.put(f"/v1/contracts/{cid}", json={**CONTRACT_3CX, "id": cid, "ends_on": "2026-10-01"}).status_code == 200
    monkeypatch.setattr(close, "_COMPARED_AT_ONCE", 2)
    summary = close.close_period(sessions, "2026-09", when, dry_run=True)
    assert [(cid, credited, now, parts) for cid, _number, credited, now, parts in summary.stale] == \
        [("close-001", "400000", "400000", ["application"]), ("close-004", "400000", "400000", ["application"])]


def give_a_zone_the_host_lacks(app, contract_id: str) -> None:
    """As a contract stored where its zone opened looks on a host whose tz database lacks it."""
    with app.app_context():
        session = db.session()
        row = session.get(Contract, contract_id)
        row.timezone = "Mars/Olympus_Mons"
        row.document = {**row.document, "timezone": "Mars/Olympus_Mons"}
        session.commit()


def test_a_close_period_dry_run_names_a_contract_it_cannot_compute(app, client, database_url):
    # It exited 1 naming no contract; only the real run said "skipped broken: unknown_timezone".
    make_contracts(client, 2)
    give_a_zone_the_host_lacks(app, "close-001")
    dry = run_close(database_url, "2026-09", "--dry-run")
    out, err = dry.communicate(timeout=120)
    assert dry.returncode == 1, err
    assert "would issue: close-000" in out and "would skip (unknown_timezone" in out and "): close-001" in out


def test_readyz_checks_the_database(client_as):
    response = client_as(None).get("/readyz")
    assert response.status_code == 200 and response.json == {"status": "ready"}


@pytest.mark.parametrize("versions, ready", [([], False), (["0001"], False), (["9999_from_a_newer_release"], True)],
                         ids=["no schema", "older schema", "newer schema"])
def test_readyz_is_503_while_the_schema_is_older_than_this_release_or_missing(app, client_as, versions, ready):
    # After a downgrade to base the version table was empty and /readyz said "ready" while every request
    # failed. A newer schema (a release being rolled out migrated it) still serves this one.
    from sqlalchemy import text

    engine = app.extensions["db_engine"]
    with engine.begin() as connection:
        head = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert head
        connection.execute(text("DELETE FROM alembic_version"))
        for version in versions:
            connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version})
    try:
        response = client_as(None).get("/readyz")
    finally:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM alembic_version"))
            for version in head:
                connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version})
    if ready:
        assert response.status_code == 200, response.json
    else:
        assert response.status_code == 503 and response.mimetype == "application/problem+json"
        assert "creditsvc db upgrade" in response.json["detail"]
        assert ("0001" in response.json["detail"]) == bool(versions)


def test_readyz_is_503_when_the_database_is_gone(tmp_path):
    from creditsvc import create_app

    app = create_app({"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == "5"  # as openapi.yaml documents on every 503


@pytest.mark.parametrize("method, path", [("GET", "/v1/policy-templates"), ("GET", "/v1/contracts/c"),
                                          ("POST", "/v1/calculations")])
def test_a_request_while_the_database_is_gone_is_a_503_to_retry_not_a_500(method, path):
    # It was 500 "unexpected error" with a traceback in the log; the client could not tell to retry.
    from creditsvc import create_app

    app = create_app({"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = app.test_client().open(path, method=method, json={} if method == "POST" else None,
                                      headers={"Authorization": "Bearer csk_whatever"})
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert response.json["code"] == "database_unavailable" and response.headers["Retry-After"] == "5"


def _readyz_in_a_thread(app):
    """/readyz, asked from a thread that must come back (the probe gives up on its own)."""
    import threading

    answers = []
    asking = threading.Thread(target=lambda: answers.append(app.test_client().get("/readyz")), daemon=True)
    asking.start()
    asking.join(timeout=60)
    assert answers, "/readyz did not answer"
    return answers[0]


def test_readyz_is_503_not_a_hang_when_postgresql_accepts_but_never_answers():
    import socket

    from creditsvc import create_app

    with socket.socket() as silent:  # the kernel completes the handshake; nobody ever speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        app = create_app({"DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{port}/test"})
        response = _readyz_in_a_thread(app)
    assert response.status_code == 503 and response.mimetype == "application/problem+json"


def test_readyz_on_sqlite_sees_a_vanished_file_and_never_waits_for_the_write_lock(tmp_path):
    import sqlite3

    from creditsvc import create_app

    path = tmp_path / "ready.sqlite3"
    db.upgrade(f"sqlite:///{path}")
    app = create_app({"DATABASE_URL": f"sqlite:///{path}"})
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    try:
        assert _readyz_in_a_thread(app).status_code == 200
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    path.rename(tmp_path / "moved.sqlite3")  # pooled connections still hold the old file open
    assert _readyz_in_a_thread(app).status_code == 503
    assert not path.exists()  # asking did not create an empty database in its place


def test_an_unknown_key_and_a_metrics_scrape_do_not_queue_behind_the_sqlite_write_lock(tmp_path):
    # Both need no key, and each began its read with BEGIN IMMEDIATE: a flood of made-up keys held up
    # every write, and behind a long write each waited the 30 s busy timeout and answered 503
    import sqlite3
    import threading

    from creditsvc import create_app

    path = tmp_path / "locked.sqlite3"
    db.upgrade(f"sqlite:///{path}")
    app = create_app({"DATABASE_URL": f"sqlite:///{path}"})
    answers = {}

    def ask(name, url, headers):
        answers[name] = app.test_client().get(url, headers=headers)

    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    try:
        asking = [threading.Thread(target=ask, args=("key", "/v1/contracts/x", {"Authorization": "Bearer csk_made_up"})),
                  threading.Thread(target=ask, args=("metrics", "/metrics", {}))]
        for thread in asking:
            thread.start()
        for thread in asking:
            thread.join(timeout=90)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert answers["key"].status_code == 401, answers["key"].json
    assert answers["metrics"].status_code == 200
    assert b"creditsvc_credit_notes_issued" in answers["metrics"].data


def test_a_log_line_writes_terminal_controls_bidi_overrides_and_line_separators_as_escapes(client, caplog):
    # JSON escapes only U+0000-U+001F: a path needing no key put a terminal's CSI (U+0085..U+009F),
    # a right-to-left override and a line separator into the access log as they are
    import logging

    with caplog.at_level(logging.INFO, logger="creditsvc.access"):
        assert client.get("/v1/x%C2%9B31m%E2%80%AEabc%E2%80%A8def%C3%B8").status_code == 404
    line = [r.getMessage() for r in caplog.records if r.name == "creditsvc.access"][-1]
    assert not any(char in line for char in "\x9b\u202e\u2028")
    assert "\\u009b31m\\u202eabc\\u2028def" in line and "ø" in line  # readable text stays as it is
    assert json.loads(line)["path"] == "/v1/x\x9b31m\u202eabc\u2028defø"


def test_served_logs_are_json_lines_only_requests_warnings_and_errors_with_their_request_id(app, client, keys):
    import io

    from creditsvc.observability import access_log, configure_logging

    root = logging.getLogger()
    saved = (root.handlers[:], root.level, access_log.handlers[:], access_log.level, access_log.propagate)
    stream = io.StringIO()
    try:
        configure_logging(stream)
        logging.getLogger("weasyprint.progress").info("Step 1 - Fetching and parsing HTML")  # left out
        client.get("/v1/policy-templates", headers={"X-Request-ID": "req-log"})
        client.post("/v1/calculations?format=pdf", json=SEPTEMBER_3CX)  # WeasyPrint logs its steps at INFO

        def boom():
            raise RuntimeError("kaboom")

        healthz, app.view_functions["health.healthz"] = app.view_functions["health.healthz"], boom
        try:
            assert client.get("/healthz", headers={"X-Request-ID": "req-boom"}).status_code == 500
        finally:
            app.view_functions["health.healthz"] = healthz
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        access_log.handlers[:], access_log.level, access_log.propagate = saved[2], saved[3], saved[4]
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]  # every line is JSON
    requests = [line for line in lines if line.get("event") == "request"]
    assert [r["path"] for r in requests] == ["/v1/policy-templates", "/v1/calculations", "/healthz"]
    errors = [line for line in lines if line.get("event") == "log"]
    assert len(errors) == 1 and errors[0]["request_id"] == "req-boom" and "kaboom" in errors[0]["traceback"]
    assert keys["billing"] not in stream.getvalue()


def test_every_request_logs_one_json_line_with_its_id_and_key_name_never_the_key(client, keys, caplog):
    caplog.set_level(logging.INFO, logger="creditsvc.access")
    response = client.get("/v1/policy-templates", headers={"X-Request-ID": "req-123"})
    assert response.headers["X-Request-ID"] == "req-123"
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "creditsvc.access"]
    assert len(lines) == 1
    line = lines[0]
    assert line["method"] == "GET" and line["path"] == "/v1/policy-templates" and line["status"] == 200
    assert line["request_id"] == "req-123" and line["key"] == "test-billing" and line["duration_ms"] >= 0
    assert keys["billing"] not in caplog.text
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32 and generated != "req-123"
    assert client.get("/healthz", headers={"X-Request-ID": "bad id\\n"}).headers["X-Request-ID"] != "bad id\\n"


def test_metrics_count_requests_per_endpoint_notes_issued_and_pdf_render_time(client):
    client.put("/v1/contracts/acme-3cx", json=CONTRACT_3CX)
    client.post("/v1/contracts/acme-3cx/incidents", json=INCIDENT)
    number = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json["number"]
    client.get(f"/v1/credit-notes/{number}?format=pdf")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'creditsvc_http_requests_total{endpoint="/v1/contracts/<string:contract_id>",method="PUT",status="201"}' \
           in text
    assert "creditsvc_http_request_duration_seconds_bucket" in text
    assert "creditsvc_credit_notes_issued_total 1.0" in text
    assert "creditsvc_pdf_render_seconds_count" in text


def test_a_method_no_endpoint_takes_is_counted_as_other_so_metrics_stay_bounded(client):
    # /metrics needs no key: a method label per made-up method (gunicorn takes any 3-20 capitals) let
    # anyone add series without end, to every worker's memory and every scrape.
    for method in ("ZZZQWE", "ABCDEFGHIJKLMNOPQRST"):
        assert client.open("/healthz", method=method).status_code == 405
        assert client.open("/nowhere", method=method).status_code == 404
    text = client.get("/metrics").get_data(as_text=True)
    assert "ZZZQWE" not in text and "ABCDEFGHIJKLMNOPQRST" not in text
    assert 'creditsvc_http_requests_total{endpoint="unmatched",method="other",status="404"}' in text


def test_metrics_is_in_the_spec_and_names_its_charset_once(client):
    import yaml
    from prometheus_client import CONTENT_TYPE_LATEST

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == CONTENT_TYPE_LATEST  # it named its charset twice
    assert response.headers["Content-Type"].startswith("text/plain;")
    spec = yaml.safe_load(client.get("/openapi.yaml").get_data(as_text=True))
    assert "text/plain" in spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"]


@pytest.mark.parametrize("broken", [
    {"policy_document": {"support_billing": {"minimum_minutes": "30.0"}}},  # stored before 30.0 read as 30
    {"timezone": "Mars/Olympus_Mons"},  # a zone the host's tz database does not have
])
def test_close_period_skips_a_contract_whose_stored_terms_no_longer_read(app, client, database_url, broken):
    # Such a contract raised before close-period's per-contract handling: the run crashed for all.
    make_contracts(client, 2)
    with app.app_context():
        session = db.session()
        row = session.get(Contract, "close-001")
        for name, value in broken.items():
            setattr(row, name, value)
        row.document = {**row.document, **({"timezone": broken["timezone"]} if "timezone" in broken else {})}
        session.commit()
    process = run_close(database_url, "2026-09")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    assert "skipped close-001:" in out and "issued now: 1" in out and "Traceback" not in err


def test_a_stored_zone_the_host_lacks_is_a_problem_response_not_a_500(app, client, client_as):
    # GET statement, renewal-summary and an issued note's PDF were 500s; close-period named the contract
    make_contracts(client, 1)
    number = client.post("/v1/contracts/close-000/credit-notes", json={"period": "2026-09"}).json["number"]
    give_a_zone_the_host_lacks(app, "close-000")
    with app.app_context():
        session = db.session()
        note = session.get(CreditNote, number)
        note.inputs = {**note.inputs, "contract": {**note.inputs["contract"], "timezone": "Mars/Olympus_Mons"}}
        session.commit()
    for reader, path in ((client, "/v1/contracts/close-000/statements/2026-09"),
                         (client_as("sales"), "/v1/contracts/close-000/renewal-summary"),
                         (client_as("accounting"), f"/v1/credit-notes/{number}?format=pdf"),
                         (client, "/v1/contracts/close-000/incidents")):
        response = (reader.post(path, json={**INCIDENT, "id": "later"}) if path.endswith("incidents")
                    else reader.get(path))
        assert response.status_code == 422, (path, response.status_code)
        assert response.json["type"] == "urn:creditsvc:problem:unknown_timezone"
        assert "'Mars/Olympus_Mons' does not open on this host" in response.json["detail"]


def test_close_period_skips_a_contract_it_cannot_compute_and_issues_the_others(app, client, database_url):
    make_contracts(client, 2)
    huge = {**CONTRACT_3CX, "id": "overflow", "policy": {"template": "1office", "overrides": {
        "repeat_bug_fines": {"base_amount": "999999999999999", "multiplier": "1000"}}}}
    client.put("/v1/contracts/overflow", json=huge)
    # The API refuses occurrences whose fines could not be stored; a database written before that
    # check (or by hand) may still hold them.
    with app.app_context():
        session = db.session()
        moment = datetime(2026, 9, 1, tzinfo=timezone.utc)
        session.add_all([BugOccurrence(contract_id="overflow", id=f"b{k}", bug_id="B", content_hash=f"h{k}",
                                       occurred_at=moment + timedelta(days=k), created_at=moment, updated_at=moment)
                         for k in range(9)])
        session.commit()
    process = run_close(database_url, "2026-09")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err  # something was skipped: the operator must look
    assert "skipped overflow: amount_overflow" in out and "issued now: 2" in out
    assert sorted(contract for contract, _ in notes(app)) == ["close-000", "close-001"]


def test_looking_up_a_key_ends_its_transaction_so_sqlite_is_not_locked_for_the_request(app, keys):
    from creditsvc.services.auth import authenticate

    with app.app_context():
        session = db.session()
        caller = authenticate(session, keys["billing"])  # no cache: the database is asked
        assert caller is not None and caller.role == "billing"
        assert not session.in_transaction()


def start_serve(tmp_path, workers: int):
    """`creditsvc serve` on a free port and its own SQLite file: (process, port); stderr piped."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}  # serve makes its own
    env["CREDITSVC_DATABASE_URL"] = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    server = subprocess.Popen([sys.executable, "-m", "creditsvc.cli", "serve", "--port", str(port),
                               "--workers", str(workers)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return server, port


def test_a_worker_restart_under_serve_keeps_metrics_and_every_log_line_is_json(tmp_path):
    import time
    import urllib.request

    server, port = start_serve(tmp_path, workers=2)
    base = f"http://127.0.0.1:{port}"

    def get(path):
        try:
            with urllib.request.urlopen(base + path, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    try:
        for _ in range(300):
            try:
                if get("/healthz") == 200:
                    break
            except OSError:
                time.sleep(0.1)
        def workers():
            return subprocess.run(["ps", "-o", "pid=", "--ppid", str(server.pid)], capture_output=True,
                                  text=True).stdout.split()

        for _ in range(300):
            if len(before := workers()) == 2:
                break
            time.sleep(0.1)
        assert len(before) == 2
        os.kill(int(before[0]), signal.SIGTERM)  # gunicorn starts another in its place
        for _ in range(300):
            if len(now := workers()) == 2 and before[0] not in now:
                break
            time.sleep(0.1)
        time.sleep(1)  # the new worker boots
        assert [get("/healthz") for _ in range(20)] == [200] * 20  # every worker, the new one too
        assert get("/metrics") == 200
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and all(json.loads(line) for line in lines), err[:2000]
    assert any("Booting worker" in json.loads(line).get("message", "") for line in lines)


def test_what_gunicorn_refuses_before_the_app_is_a_problem_too(tmp_path):
    # a request line over 4094 bytes, a header over 8190 and an unparsable request were gunicorn's HTML pages
    import time

    server, port = start_serve(tmp_path, workers=1)

    def raw(request: bytes) -> tuple[int, str, dict]:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(request)
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        return int(lines[0].split()[1]), headers["Content-Type"], json.loads(body)

    try:
        for _ in range(300):
            try:
                if raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")[0] == 200:
                    break
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        for request, status in ((b"PUT /v1/contracts/" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
                                (b"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: " + b"x" * 9000 + b"\r\n\r\n", 431),
                                (b"GARBAGE\r\n\r\n", 400)):
            code, content_type, problem = raw(request)
            assert (code, content_type) == (status, "application/problem+json")
            assert problem["status"] == status and problem["title"] and problem["detail"]
            assert set(problem) == {"type", "title", "status", "detail"}
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=60)


def test_serve_refuses_a_port_another_server_listens_on_although_its_workers_reuse_ports(tmp_path):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        env = {**os.environ, "CREDITSVC_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
        result = subprocess.run([sys.executable, "-m", "creditsvc.cli", "serve", "--port", str(port)], env=env,
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"127.0.0.1:{port} is in use" in result.stderr
    assert not (tmp_path / "x.sqlite3").exists()  # refused before it touched the database


def test_the_port_probe_takes_a_port_the_last_run_left_in_time_wait_and_bracketed_ipv6_hosts():
    from creditsvc.cli import _port_in_use

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    served, _ = listener.accept()
    assert _port_in_use("127.0.0.1", port) == f"127.0.0.1:{port} is in use (another server?)"
    served.close()  # the server side closes first: its end of the connection waits in TIME-WAIT
    client.close()
    listener.close()
    assert _port_in_use("127.0.0.1", port) is None  # gunicorn (SO_REUSEADDR) would serve it, so may we
    assert _port_in_use("192.0.2.1", port).startswith("cannot listen on 192.0.2.1:")  # not this machine's
    if socket.has_ipv6:
        try:
            with socket.socket(socket.AF_INET6) as v6:
                v6.bind(("::1", 0))
                free = v6.getsockname()[1]
        except OSError:
            return  # no IPv6 loopback on this machine
        assert _port_in_use("[::1]", free) is None


@pytest.mark.parametrize("setting, value, code, says", [
    ("CREDITSVC_DATABASE_URL", "not-a-url", 2, "CREDITSVC_DATABASE_URL is not a database URL"),
    ("CREDITSVC_DATABASE_URL", "postgresql+nodriver://x@127.0.0.1/db", 2, "driver that is not installed"),
    ("CREDITSVC_DATABASE_URL", "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/test", 1, "does not answer"),
    # a dialect whose driver package is missing (mysqlclient is none of ours) was a traceback
    ("CREDITSVC_DATABASE_URL", "mysql://u@127.0.0.1/d", 2, "needs the Python package 'MySQLdb'"),
    ("CREDITSVC_PORT", "eighty", 2, "CREDITSVC_PORT must be a whole number, not 'eighty'"),
    ("CREDITSVC_PORT", "70000", 2, "CREDITSVC_PORT must be at most 65535, not 70000"),
    ("CREDITSVC_WORKERS", "0", 2, "CREDITSVC_WORKERS must be at least 1"),
    ("CREDITSVC_MAX_BODY_BYTES", "5MB", 2, "CREDITSVC_MAX_BODY_BYTES must be a whole number"),
    # int() reads fullwidth digits and digit grouping: a port of 8000 was set by "８０００"
    ("CREDITSVC_PORT", "８０００", 2, "CREDITSVC_PORT must be a whole number, not '８０００'"),
    ("CREDITSVC_MAX_BODY_BYTES", "5_000", 2, "CREDITSVC_MAX_BODY_BYTES must be a whole number, not '5_000'"),
])
def test_a_setting_that_cannot_be_used_ends_the_cli_with_one_line_not_a_traceback(
        monkeypatch, capsys, tmp_path, setting, value, code, says):
    from creditsvc.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(setting, value)
    serving = setting in ("CREDITSVC_PORT", "CREDITSVC_WORKERS")  # read by serve alone (it stops before serving)
    command = ["openapi"] if setting == "CREDITSVC_MAX_BODY_BYTES" else ["serve"] if serving else ["db", "upgrade"]
    assert main(command) == code
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and "s3cret" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv, says", [
    (["serve", "--workers", "0"], "argument --workers: must be at least 1, not 0"),  # served nothing, forever
    (["serve", "--threads", "0"], "argument --threads: must be at least 1, not 0"),
    (["serve", "--port", "99999"], "argument --port: must be from 0 to 65535, not 99999"),  # a traceback
    (["serve", "--port", "-1"], "argument --port: must be from 0 to 65535, not -1"),
    (["serve", "--workers", "２"], "argument --workers: '２' is not a whole number"),  # was 2 workers
    (["serve", "--port", "8_000"], "argument --port: '8_000' is not a whole number"),
    (["create-api-key", "--name", " ", "--role", "admin"], "argument --name: a key's name is 1 to 100"),
    (["create-api-key", "--name", "k" * 101, "--role", "admin"], "argument --name: a key's name is 1 to 100"),
    # a terminal that is not UTF-8 (Latin-1 "café"): the name reached the database and ended in a traceback
    (["create-api-key", "--name", "caf\udce9", "--role", "admin"], "argument --name: a key's name is UTF-8 text"),
])
def test_a_flag_out_of_its_bounds_is_refused_by_name_before_anything_runs(monkeypatch, capsys, tmp_path, argv, says):
    from creditsvc.cli import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert not (tmp_path / "creditsvc.sqlite3").exists()  # no database was made or touched


@pytest.mark.parametrize("setting", ["CREDITSVC_PORT", "CREDITSVC_WORKERS", "CREDITSVC_THREADS"])
def test_a_serve_setting_that_cannot_be_used_stops_serve_only(monkeypatch, capsys, tmp_path, setting):
    # CREDITSVC_PORT=x made create-api-key and db upgrade exit 2 too
    from creditsvc.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(setting, "x")
    assert main(["create-api-key", "--name", "ops", "--role", "admin"]) == 0
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["serve"]) == 2
    assert f"{setting} must be a whole number, not 'x'" in capsys.readouterr().err


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def test_a_database_file_that_is_no_database_is_one_line_not_a_traceback(monkeypatch, capsys, tmp_path):
    from creditsvc.cli import main

    (tmp_path / "notes.txt").write_text("not a database at all, " * 100)
    monkeypatch.setenv("CREDITSVC_DATABASE_URL", f"sqlite:///{tmp_path / 'notes.txt'}")
    assert main(["db", "upgrade"]) == 1
    assert f"the database sqlite:///{tmp_path / 'notes.txt'} refused: file is not a database" in _one_line_error(capsys)


def test_a_database_that_does_not_answer_is_named_in_the_one_line(monkeypatch, capsys, tmp_path):
    # "unable to open database file" named no file: the default one is in the folder the command ran from
    from creditsvc.cli import main

    missing = tmp_path / "no-such-folder" / "creditsvc.sqlite3"
    monkeypatch.setenv("CREDITSVC_DATABASE_URL", f"sqlite:///{missing}")
    assert main(["db", "upgrade"]) == 1
    assert _one_line_error(capsys).strip() == (f"creditsvc: the database sqlite:///{missing} does not answer: "
                                               "unable to open database file (its folder must exist and be writable)")
    monkeypatch.setenv("CREDITSVC_DATABASE_URL", "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/test")
    assert main(["db", "upgrade"]) == 1
    err = _one_line_error(capsys)
    assert "the database postgresql+psycopg://postgres:***@127.0.0.1:1/test does not answer: " in err
    assert "s3cret" not in err


def test_a_schema_of_a_newer_release_is_one_line_not_a_traceback(monkeypatch, capsys, tmp_path, database_url):
    # what an operator meets after rolling a release back: alembic's CommandError was a traceback
    from sqlalchemy import text

    from creditsvc.cli import main

    engine = db.make_engine(database_url)
    with engine.begin() as connection:
        (current,) = connection.execute(text("SELECT version_num FROM alembic_version")).one()
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed0001'"))
    try:
        monkeypatch.setenv("CREDITSVC_DATABASE_URL", database_url)
        for command in (["db", "upgrade"], ["create-api-key", "--name", "ops", "--role", "admin"]):
            assert main(command) == 1
            err = _one_line_error(capsys)
            assert "this release cannot migrate the database's schema" in err and "f00dfeed0001" in err
    finally:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
        engine.dispose()


def test_a_pdf_that_cannot_be_written_is_one_line_not_a_traceback(tmp_path):
    request = tmp_path / "september.json"
    request.write_text(json.dumps(SEPTEMBER_3CX, ensure_ascii=False), "utf-8")
    for target in (tmp_path / "missing" / "out.pdf", tmp_path):  # a folder that is not there; a folder
        result = subprocess.run([sys.executable, "-m", "creditsvc.cli", "calculate", str(request), "--pdf", str(target)],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2 and f"cannot write {target}:" in result.stderr
        assert "Traceback" not in result.stderr


def test_ctrl_c_ends_the_cli_with_one_line_and_exit_130(monkeypatch, capsys, tmp_path):
    from creditsvc import cli

    def interrupted(_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "db_upgrade", interrupted)
    assert cli.main(["db", "upgrade"]) == 130
    assert "creditsvc: interrupted" in _one_line_error(capsys)


def test_serve_logs_the_address_it_listens_at_and_no_empty_one(tmp_path):
    # gunicorn's own line read "Listening at:  (4711)" when each worker binds its own socket
    import time
    import urllib.request

    server, port = start_serve(tmp_path, workers=1)
    import threading

    deadline = threading.Timer(60, server.kill)  # the lines never coming ends the read, not the test run
    deadline.start()
    try:
        lines = []
        for line in server.stderr:
            lines.append(json.loads(line)["message"])
            if "Booting worker" in lines[-1] and any("Listening at: http" in m for m in lines):
                break
        for _ in range(300):  # serving, everything started (each worker binds its socket once booted)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30).read()
                break
            except OSError:
                time.sleep(0.1)
    finally:
        deadline.cancel()
        server.terminate()
        lines += [json.loads(line).get("message", "") for line in server.stderr.read().splitlines()]
        server.wait(timeout=60)
    assert f"Listening at: http://127.0.0.1:{port} (workers: 1, threads per worker: 4)" in lines
    assert not any(m.startswith("Listening at:  (") for m in lines)
    assert not any("Control socket" in m for m in lines)  # one path for all of a user's servers


def test_an_empty_database_url_is_the_sqlite_default_as_unset_is(monkeypatch, capsys, tmp_path):
    from creditsvc.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CREDITSVC_DATABASE_URL", "")
    assert main(["db", "upgrade"]) == 0
    assert "newest revision" in capsys.readouterr().out
    assert (tmp_path / "creditsvc.sqlite3").is_file()


def test_the_calculate_command_gives_the_statement_post_v1_calculations_gives(client, tmp_path):
    # design.md lists `creditsvc calculate`; the command did not exist
    request = tmp_path / "september.json"
    request.write_text(json.dumps(SEPTEMBER_3CX, ensure_ascii=False), "utf-8")
    result = subprocess.run([sys.executable, "-m", "creditsvc.cli", "calculate", str(request)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == client.post("/v1/calculations", json=SEPTEMBER_3CX).json
    bad = subprocess.run([sys.executable, "-m", "creditsvc.cli", "calculate", "-"], input='{"period": "2026-13"}',
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert json.loads(bad.stderr.splitlines()[-1])["period"] == ["A period is YYYY-MM or {start, end}."]


def test_the_calculate_command_refuses_a_language_without_a_pdf_to_write_it_in(tmp_path):
    request = tmp_path / "september.json"
    request.write_text(json.dumps(SEPTEMBER_3CX, ensure_ascii=False), "utf-8")
    result = subprocess.run([sys.executable, "-m", "creditsvc.cli", "calculate", str(request), "--lang", "en"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert "--lang is the PDF's language; give --pdf FILE with it" in result.stderr


def test_close_period_reads_each_contracts_own_month_when_the_contracts_live_in_different_zones(app, client):
    # The records are read in one UTC window for every contract: it must reach the end of the last
    # zone's month, or an outage on Los Angeles' 30 September (1 October in Ho Chi Minh City) is not seen.
    from creditsvc.services.close import close_period

    client.put("/v1/contracts/hcm", json={**CONTRACT_3CX, "id": "hcm"})
    client.put("/v1/contracts/la", json={**CONTRACT_3CX, "id": "la", "timezone": "America/Los_Angeles"})
    late = {**INCIDENT, "id": "late", "started_at": "2026-09-30T12:00:00-07:00", "ended_at": "2026-09-30T14:30:00-07:00"}
    assert client.post("/v1/contracts/la/incidents", json=late).status_code == 201
    assert client.get("/v1/contracts/la/statements/2026-09").json["credit_total"] == "400000"
    summary = close_period(app.extensions["db_sessions"], "2026-09", datetime(2026, 10, 15, tzinfo=timezone.utc))
    assert summary.contracts == 2 and summary.owed == [("la", "400000")]
    assert [contract for contract, _ in summary.issued] == ["la"]


@pytest.mark.parametrize("empty_file", [False, True])
def test_close_period_on_a_database_without_the_schema_creates_nothing_and_ends_1(monkeypatch, capsys, tmp_path,
                                                                                 empty_file):
    # Run from the wrong folder (the default database is ./creditsvc.sqlite3) or with a mistyped URL,
    # close-period created an empty database, said "0 contracts, 0 owed a credit" and ended 0: the
    # month's notes were never issued. Its dry run, which writes nothing, created the database too.
    from creditsvc.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CREDITSVC_DATABASE_URL", raising=False)
    if empty_file:
        (tmp_path / "creditsvc.sqlite3").touch()
    for argv in (["close-period", "2026-09", "--dry-run"], ["close-period", "2026-09"]):
        assert main(argv) == 1
        err = _one_line_error(capsys)
        assert f"the database sqlite:///{tmp_path / 'creditsvc.sqlite3'} " in err
        assert ("has no schema" if empty_file else "does not exist") in err and "creditsvc db upgrade" in err
    assert (tmp_path / "creditsvc.sqlite3").exists() is empty_file
    if empty_file:
        assert (tmp_path / "creditsvc.sqlite3").stat().st_size == 0


def test_a_close_period_dry_run_does_not_migrate_an_older_schema(monkeypatch, capsys, tmp_path):
    # "--dry-run: write nothing", and it migrated the database to this release's schema.
    from sqlalchemy import text

    from creditsvc.cli import main

    url = f"sqlite:///{tmp_path / 'older.sqlite3'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    with engine.begin() as connection:  # as a database of the release before looks
        connection.execute(text("DROP TABLE credit_note_documents"))
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    monkeypatch.setenv("CREDITSVC_DATABASE_URL", url)
    assert main(["close-period", "2026-09", "--dry-run"]) == 1
    err = _one_line_error(capsys)
    assert "revision 0001" in err and "run creditsvc db upgrade" in err
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0001"
    engine.dispose()


def test_a_close_period_dry_run_ends_as_the_run_on_a_schema_of_a_newer_release(monkeypatch, capsys, tmp_path):
    # The run refuses a revision this release does not know (it migrates first: alembic cannot), and its
    # dry run, which says what the run will do, answered "0 contracts, 0 owed a credit" and ended 0.
    from sqlalchemy import text

    from creditsvc.cli import main

    url = f"sqlite:///{tmp_path / 'newer.sqlite3'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed0001'"))
    engine.dispose()
    monkeypatch.setenv("CREDITSVC_DATABASE_URL", url)
    assert main(["close-period", "2026-09"]) == 1
    assert "f00dfeed0001" in _one_line_error(capsys)
    assert main(["close-period", "2026-09", "--dry-run"]) == 1
    err = _one_line_error(capsys)
    assert "f00dfeed0001" in err and "this release cannot migrate" in err


@pytest.mark.parametrize("command", [["openapi"], ["calculate", "-"]])
def test_output_whose_reader_has_gone_is_one_line_not_a_traceback(command):
    # `creditsvc close-period 2026-09 | head` stopped the close with BrokenPipeError's traceback after
    # the fourth note; `creditsvc openapi | head -1` ended the same way.
    process = subprocess.Popen([sys.executable, "-m", "creditsvc.cli", *command], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()  # the reader leaves before the first line
    _, err = process.communicate(json.dumps(SEPTEMBER_3CX, ensure_ascii=False), timeout=120)
    assert process.returncode == 1 and "Traceback" not in err, err
    assert err.strip() == "creditsvc: the output was closed before it was all written (broken pipe)"


def test_calculate_writes_its_pdf_whatever_the_database_settings_say(tmp_path):
    # `calculate` works without a server or database, and its JSON did; its --pdf read every setting
    # for the seller and ended 2 on a CREDITSVC_DATABASE_URL (or CREDITSVC_MAX_BODY_BYTES) it never uses.
    request, pdf = tmp_path / "september.json", tmp_path / "september.pdf"
    request.write_text(json.dumps(SEPTEMBER_3CX, ensure_ascii=False), "utf-8")
    env = {**os.environ, "CREDITSVC_DATABASE_URL": "not a url", "CREDITSVC_MAX_BODY_BYTES": "0",
           "CREDITSVC_SELLER_NAME": "IDB"}
    result = subprocess.run([sys.executable, "-m", "creditsvc.cli", "calculate", str(request), "--pdf", str(pdf)],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert pdf.read_bytes().startswith(b"%PDF")


def test_close_period_does_not_ask_for_a_correction_the_claim_window_no_longer_allows(
        app, client, database_url, fixed_clock, monkeypatch, capsys):
    # A note made out of date after its claim window said "issue a correction (POST ... with
    # supersede)", which is refused (422 claim_window_expired, rules.md §10) on every try.
    from creditsvc.cli import main

    assert client.put("/v1/contracts/hvn", json={**CONTRACT_3CX, "id": "hvn", "policy": {"template": "hvn"}}).status_code == 201
    assert client.post("/v1/contracts/hvn/incidents", json=INCIDENT).status_code == 201
    note = client.post("/v1/contracts/hvn/credit-notes", json={"period": "2026-09"}).json
    assert note["claim_deadline"] == "2026-12-31"
    fixed_clock.set(datetime(2027, 1, 5, tzinfo=timezone.utc))
    longer = {**INCIDENT, "id": "late-outage", "started_at": "2026-09-20T09:00:00+07:00",
              "ended_at": "2026-09-21T09:00:00+07:00"}
    assert client.post("/v1/contracts/hvn/incidents?supersede=true", json=longer).status_code == 201
    correction = client.post("/v1/contracts/hvn/credit-notes", json={"period": "2026-09", "supersede": True})
    assert correction.status_code == 422 and correction.json["code"] == "claim_window_expired"
    monkeypatch.setenv("CREDITSVC_DATABASE_URL", database_url)
    capsys.readouterr()
    for argv in (["close-period", "2026-09", "--dry-run"], ["close-period", "2026-09"]):
        assert main(argv) == 1
        out = capsys.readouterr().out
        assert f"out of date: hvn {note['number']} credits 5000000" in out
        assert "issue a correction" not in out
        assert "no correction can be issued now: claim_window_expired: Credits for 2026-09 could be claimed until " \
               "2026-12-31." in out


@pytest.mark.parametrize("text, says", [
    ('{"contract": {"id": "x\\u0000"}}', "text may not contain NUL (\\u0000)\n"),
    ('{"period": "2026-09",\n}', "Expecting property name enclosed in double quotes at line 2, column 1\n"),
])
def test_the_calculate_command_says_why_it_cannot_read_a_request_in_the_apis_words(client, text, says):
    # It said "the request is not valid JSON: text may not contain NUL (\u0000): line 1 column 1 (char 0)" to
    # JSON it refuses on purpose, with a position that means nothing (the review); the API's 400 says why
    result = subprocess.run([sys.executable, "-m", "creditsvc.cli", "calculate", "-"], input=text,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.endswith(f"creditsvc: the request cannot be read as JSON: {says}"), result.stderr
    detail = client.post("/v1/calculations", data=text, content_type="application/json").json["detail"]
    assert detail == f"The body cannot be read as JSON: {says.strip()}."
