"""One JSON log line per request, a request id echoed in X-Request-ID, and Prometheus metrics.

Under gunicorn every worker counts on its own; `creditsvc serve` points PROMETHEUS_MULTIPROC_DIR at
a shared folder so /metrics adds up all workers.
"""
from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid

from flask import Flask, Response, g, has_request_context, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

access_log = logging.getLogger("creditsvc.access")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
# The methods a metric names; any other (gunicorn takes any 3-20 capitals) is "other": /metrics needs no
# key, and a label per made-up method added series without end to every worker and every scrape.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter("creditsvc_http_requests_total", "HTTP requests", ["method", "endpoint", "status"])
LATENCY = Histogram("creditsvc_http_request_duration_seconds", "HTTP request latency", ["method", "endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
PDF_RENDER = Histogram("creditsvc_pdf_render_seconds", "PDF render time, without the wait for the render lock",
                       buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
# A worker renders one PDF at a time (render/__init__.py): the wait is the queue of its other threads.
PDF_RENDER_WAIT = Histogram("creditsvc_pdf_render_wait_seconds", "Time a PDF waited for its worker's render lock",
                            buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))


def observe_pdf_render(rendered: float, waited: float) -> None:
    PDF_RENDER.observe(rendered)
    PDF_RENDER_WAIT.observe(waited)


# Characters a terminal or a line-splitting tool acts on, written as JSON escapes in a log line: JSON
# escapes only U+0000-U+001F, so a path could carry C1 controls (U+009B is a terminal's CSI), bidi
# overrides (U+202E) and line separators (U+2028) into the log as they are.
_UNSAFE_IN_LOGS = re.compile("[\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064"
                             "\u2066-\u206f\ufeff\ufff9-\ufffb]")


def log_line(entry: dict) -> str:
    """One JSON log line: readable text as it is, the characters above escaped."""
    return _UNSAFE_IN_LOGS.sub(lambda m: f"\\u{ord(m[0]):04x}", json.dumps(entry, ensure_ascii=False, default=str))


class JsonLines(logging.Formatter):
    """Every log record as one JSON line: the access log's lines as they are, anything else (a
    warning, an unhandled error with its traceback) as {"event": "log", ...} with the request's id."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == access_log.name:
            return record.getMessage()
        entry = {"event": "log", "level": record.levelname.lower(), "logger": record.name,
                 "message": record.getMessage()}
        if has_request_context():
            entry["request_id"] = g.get("request_id")
            entry["path"] = request.path
        if record.exc_info:
            entry["error"] = repr(record.exc_info[1])
            entry["traceback"] = self.formatException(record.exc_info)
        return log_line(entry)


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover - gunicorn is a dependency; this keeps the module importable without it
    _GunicornLogger = object


class JsonGunicornLogger(_GunicornLogger):
    """gunicorn's own log (workers booting, killed, timing out) in the same JSON lines."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonLines())
        self.error_log.addFilter(_no_empty_listening_line)


def _no_empty_listening_line(record: logging.LogRecord) -> bool:
    """gunicorn's "Listening at:  (pid)" names no address when each worker binds its own socket;
    `creditsvc serve` logs the address itself once the workers are ready."""
    return not (record.msg == "Listening at: %s (%s)" and record.args and not record.args[0])


def configure_logging(stream) -> None:
    """What `creditsvc serve` writes: one JSON line per request (INFO) and warnings or errors of any
    library as JSON lines too; INFO chatter of libraries (WeasyPrint's render steps, Alembic) is left out."""
    formatter = JsonLines()
    everything = logging.StreamHandler(stream)
    everything.setFormatter(formatter)
    everything.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.handlers[:] = [everything]
    root.setLevel(logging.WARNING)
    requests = logging.StreamHandler(stream)
    requests.setFormatter(formatter)
    access_log.handlers[:] = [requests]
    access_log.setLevel(logging.INFO)
    access_log.propagate = False


def _registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    from prometheus_client import REGISTRY

    return REGISTRY


def init_app(app: Flask) -> None:
    @app.before_request
    def _start():
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex

    @app.after_request
    def _finish(response: Response):
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
        response.headers["X-Request-ID"] = g.get("request_id", "")
        method = request.method if request.method in _METHODS else "other"
        REQUESTS.labels(method, endpoint, str(response.status_code)).inc()
        LATENCY.labels(method, endpoint).observe(elapsed)
        caller = g.get("caller")
        access_log.info(log_line({
            "event": "request", "method": request.method, "path": request.path, "status": response.status_code,
            "duration_ms": round(elapsed * 1000, 2), "request_id": g.get("request_id"),
            "key": caller.name if caller else None,  # the key's name, never the key
        }))
        return response


def metrics_response() -> Response:
    """GET /metrics (api/health.py routes it, so it is in openapi.yaml): request counts and latencies
    per endpoint, notes issued, PDF render time, in Prometheus' text format."""
    # content_type, not mimetype: CONTENT_TYPE_LATEST carries its charset, which mimetype would repeat
    return Response(generate_latest(_registry()) + generate_latest(_notes_registry()), content_type=CONTENT_TYPE_LATEST)


class _IssuedNotes(Collector):
    def __init__(self, count: int):
        self.count = count

    def collect(self):
        yield CounterMetricFamily("creditsvc_credit_notes_issued", "Credit notes issued, by the API or by "
                                  "close-period (counted in the database, where every note stays)", value=self.count)


def _notes_registry() -> CollectorRegistry:
    """Notes are also issued by `creditsvc close-period`, another process: the count comes from the
    database, not from a counter in this one."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import SQLAlchemyError

    from . import db
    from .db.models import CreditNote

    registry = CollectorRegistry()
    try:
        count = db.read_only(db.session()).scalar(select(func.count()).select_from(CreditNote))
    except SQLAlchemyError:
        return registry  # /metrics still answers; /readyz tells about the database
    finally:
        db.end_transaction()
    registry.register(_IssuedNotes(count))
    return registry
