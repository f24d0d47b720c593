"""Contracts, their records, statements, credit notes and renewal summaries (api.md)."""
from __future__ import annotations

from functools import wraps

from flask import current_app, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.exceptions import HTTPException

from .. import clock, db
from ..jsonio import json_response, loads
from ..policies import flatten_errors
from ..calculators.errors import DomainError
from ..schemas.contract import CONTRACT_ID, ContractSchema, StoredFeeSchema, StoredPolicySpec
from ..schemas.fields import MONTH, MONTH_PATTERN, QueryTimestamp, StrictBoolean
from ..schemas.records import RECORD_SCHEMAS, RECORD_SCHEMAS_AS_STORED
from ..schemas.statement import (CreditNoteListSchema, CreditNoteSchema, RenewalSummarySchema, StatementSchema,
                                 dump_statement)
from ..services import credit_notes, records, renewal
from ..services.contracts import get_contract_row, put_contract, stored_unchanged
from ..services.statements import statement_for
from .auth import requires
from .blueprint import Blueprint
from .docs import problems
from .documents import PDF_DOC, DocumentQuerySchema, note_pdf_response, pdf_response, wants_pdf
from .errors import validation_problem

blp = Blueprint("contracts", __name__, url_prefix="/v1", description="Contracts, records, statements, credit notes")

# Path parameters held to a form (a 422 otherwise): the contract id a PUT stores under (and a GET finds), a
# statement's month
CONTRACT_ID_PARAMETER = {"in": "path", "name": "contract_id", "schema": {"type": "string",
                                                                         "pattern": CONTRACT_ID.regex.pattern}}
PERIOD_PARAMETER = {"in": "path", "name": "period", "description": "YYYY-MM, from 1970-01 to 2199-12",
                    "schema": {"type": "string", "pattern": MONTH_PATTERN}}

PATH_KINDS = {"incidents": "incidents", "bug-occurrences": "bug_occurrences", "support-cases": "support_cases",
              "tickets": "tickets"}


class ContractPutSchema(ContractSchema):
    id = fields.String(load_default=None, validate=ContractSchema._declared_fields["id"].validators)


class ContractAsStoredSchema(ContractPutSchema):
    fee = fields.Nested(StoredFeeSchema, required=True)
    policy = StoredPolicySpec(required=True)


def unchanged_under_older_rules(view):
    """A PUT that repeats stored terms is 200 with the stored contract, even where the policy breaks a
    rule made after it was stored (falling bands, a default amount in another currency ...): such a
    contract still reads, but a nightly sync re-sending it byte for byte was refused with 422. Any
    change to it is held to today's rules, and so is a contract not stored yet."""

    @wraps(view)
    def wrapper(*args, contract_id, **kwargs):
        try:
            return view(*args, contract_id=contract_id, **kwargs)
        except HTTPException as refused:
            if refused.code != 422:
                raise
            try:
                loaded = ContractAsStoredSchema().load(loads(request.get_data(cache=True)))
            except (ValidationError, ValueError):
                raise refused from None
            row = stored_unchanged(db.session(), {**loaded, "id": loaded["id"] or contract_id}) \
                if loaded["id"] in (None, contract_id) else None
            if row is None:
                raise refused from None
            return _created_or_ok(row.document, False)

    return wrapper


class StatementQuerySchema(DocumentQuerySchema):
    as_of = QueryTimestamp(load_default=None, metadata={
        "description": "Compute as of this instant (default: now); an offset's + is sent as %2B"})


class CreditNoteRequestSchema(Schema):
    period = fields.String(required=True, validate=MONTH,
                           metadata={"example": "2026-09"})
    supersede = StrictBoolean(load_default=False, metadata={
        "description": "Issue a correction that voids the period's live note"})


class RecordResultSchema(Schema):
    id = fields.String()
    status = fields.String(metadata={"enum": ["created", "unchanged", "replaced"]})
    record = fields.Dict()


class RecordsResultSchema(Schema):
    items = fields.List(fields.Nested(RecordResultSchema))
    created = fields.Integer()
    unchanged = fields.Integer()
    replaced = fields.Integer()


class SupersedeQuerySchema(Schema):
    supersede = fields.Boolean(load_default=False, metadata={
        "description": "Replace a record's content, or add to a period with an issued note"})


def _created_or_ok(body, created: bool):
    """201 when this request stored something, 200 when it was already there (idempotent writes)."""
    response = jsonify(body)
    response.status_code = 201 if created else 200
    return response


@blp.route("/contracts/<string:contract_id>", methods=["PUT"], parameters=[CONTRACT_ID_PARAMETER])
@requires("billing")
@problems(400, 409, 413, 415, 422)
@unchanged_under_older_rules
@blp.arguments(ContractPutSchema)
@blp.response(200, ContractSchema, description="Replaced or unchanged")
@blp.alt_response(201, schema=ContractSchema, description="Created", success=True)
def put(loaded, contract_id):
    """Create or replace a contract's terms (idempotent)."""
    if not CONTRACT_ID.regex.fullmatch(contract_id):
        return validation_problem({"contract_id": [CONTRACT_ID.error]}, "request")
    if loaded["id"] is None:
        loaded["id"] = contract_id
    elif loaded["id"] != contract_id:
        return validation_problem({"id": ["Must equal the contract id in the path."]})
    row, created, _ = put_contract(db.session(), loaded)
    return _created_or_ok(row.document, created)


@blp.route("/contracts/<string:contract_id>", methods=["GET"], parameters=[CONTRACT_ID_PARAMETER])
@requires("billing", "accounting", "sales")
@problems(404)
@blp.response(200, ContractSchema)
def get(contract_id):
    """A contract's terms as stored."""
    return jsonify(get_contract_row(db.session(), contract_id).document)


def _post_records(contract_id: str, kind: str, supersede: bool):
    payload = loads(request.get_data(cache=True))
    batch = isinstance(payload, dict) and "items" in payload
    if batch:
        if set(payload) != {"items"}:
            raise ValidationError({key: ["Unknown field."] for key in payload if key != "items"})
        items = payload["items"]
        if not isinstance(items, list):
            raise ValidationError({"items": ["A batch is {\"items\": [...]}."]})
        if not items or len(items) > records.MAX_BATCH:
            raise ValidationError({"items": [f"A batch holds 1 to {records.MAX_BATCH} records."]})
    else:
        items = [payload]
    schema = RECORD_SCHEMAS[kind]()
    try:
        loaded = schema.load(items, many=True)
    except ValidationError as error:
        loaded = None if supersede else _as_stored_before_the_rule(contract_id, kind, items, error.messages)
        if loaded is None:
            raise ValidationError(_relabel(flatten_errors(error.messages), batch)) from None
    try:
        results = records.ingest(db.session(), contract_id, kind, loaded, supersede=supersede)
    except DomainError as refused:  # invalid for the contract, a conflict, a locked period, a fine too large
        if refused.errors:
            refused.errors = _relabel(refused.errors, batch)
        raise
    counts = {status: sum(r["status"] == status for r in results) for status in ("created", "unchanged", "replaced")}
    return _created_or_ok({"items": results, **counts}, bool(counts["created"] or counts["replaced"]))


def _as_stored_before_the_rule(contract_id: str, kind: str, items: list, refused: dict) -> list | None:
    """The batch as a release before decimals had to match the spec's pattern read it, when every item
    today's rules refuse is stored with that content: a support case stored with km " 12" and sent
    again as it was first sent (a nightly sync) was a 422, where a PUT repeating stored terms is 200
    (unchanged_under_older_rules). Those items are then "unchanged" and the rest go as usual. Only
    without ?supersede: an item read the old way is never stored (a row changed meanwhile is a 409).
    None: today's refusal stands."""
    schema = RECORD_SCHEMAS_AS_STORED.get(kind)
    # an id no contract can have (a NUL, which PostgreSQL refuses to compare) holds nothing to look up
    if schema is None or not CONTRACT_ID.regex.fullmatch(contract_id) or \
            not all(isinstance(index, int) for index in refused):
        return None
    try:
        loaded = schema().load(items, many=True)
    except ValidationError:
        return None
    if not records.all_stored_as_sent(db.session(), contract_id, kind, [loaded[index] for index in refused]):
        return None
    return loaded


def _relabel(errors: dict, batch: bool) -> dict:
    """'3.started_at' -> 'items.3.started_at' for a batch, 'started_at' for a single record."""
    out = {}
    for key, texts in errors.items():
        head, _, rest = key.partition(".")
        out[f"items.{key}" if batch else (rest or "body")] = texts
    return out


def _record_view(path_kind: str, kind: str):
    schema = RECORD_SCHEMAS[kind]
    name = schema.__name__.removesuffix("Schema")
    batch_schema = type(f"{name}BatchSchema", (Schema,), {
        "items": fields.List(fields.Nested(schema), required=True,
                             validate=validate.Length(min=1, max=records.MAX_BATCH))})

    def view(contract_id, supersede=False):
        return _post_records(contract_id, kind, supersede)

    view.__name__ = view.__qualname__ = f"post_{kind}"
    # "bug occurrence", not the schema's "bugoccurrence": the summary openapi.yaml shows
    noun = path_kind.removesuffix("s").replace("-", " ")
    view.__doc__ = (f"Store one {noun} or a batch `{{\"items\": [...]}}` (all or nothing, at most "
                    f"{records.MAX_BATCH}). Idempotent by the record's id.")
    documented = blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {"oneOf": [
        schema, batch_schema]}}}})(view)
    documented = blp.arguments(SupersedeQuerySchema, location="query", as_kwargs=True)(documented)
    documented = blp.response(200, RecordsResultSchema, description="Every record was already stored as sent")(documented)
    documented = blp.alt_response(201, schema=RecordsResultSchema, description="Stored", success=True)(documented)
    documented = problems(400, 404, 409, 413, 415, 422)(documented)
    documented = requires("billing")(documented)
    blp.route(f"/contracts/<string:contract_id>/{path_kind}", methods=["POST"], endpoint=f"post_{kind}")(documented)


for _path, _kind in PATH_KINDS.items():
    _record_view(_path, _kind)


@blp.route("/contracts/<string:contract_id>/statements/<string:period>", methods=["GET"], parameters=[PERIOD_PARAMETER])
@requires("billing", "accounting")
@problems(404, 422)
@blp.arguments(StatementQuerySchema, location="query")
@blp.response(200, StatementSchema)
@blp.doc(**PDF_DOC)
def statement(query, contract_id, period):
    """The statement of a month from the stored records, JSON or PDF (a preview; nothing is stored)."""
    as_of = query["as_of"] or clock.now()
    computed, inputs = statement_for(db.session(), contract_id, period, as_of)
    if wants_pdf():
        return pdf_response(dump_statement(computed), inputs["contract"], as_of)
    return json_response(dump_statement(computed))


@blp.route("/contracts/<string:contract_id>/credit-notes", methods=["POST"])
@requires("billing")
@problems(400, 404, 409, 413, 415, 422)
@blp.arguments(CreditNoteRequestSchema)
@blp.response(200, CreditNoteSchema, description="The period's note was already issued")
@blp.alt_response(201, schema=CreditNoteSchema, description="Issued", success=True,
                  headers={"Location": "Location"})  # api/docs.py
def issue_credit_note(body, contract_id):
    """Freeze the month's statement as a credit note under the next number of the year's series."""
    note, created = credit_notes.issue(db.session(), contract_id, body["period"], supersede=body["supersede"],
                                       seller=current_app.config["SELLER"])
    response = _created_or_ok(credit_notes.note_json(note), created)
    if created:
        response.headers["Location"] = f"/v1/credit-notes/{note.number}"
    return response


class CreditNoteListQuerySchema(Schema):
    period = fields.String(validate=MONTH, load_default=None,
                           metadata={"description": "Only this month's notes", "example": "2026-09"})


@blp.route("/contracts/<string:contract_id>/credit-notes", methods=["GET"])
@requires("billing", "accounting")
@problems(404)
@blp.arguments(CreditNoteListQuerySchema, location="query", as_kwargs=True)
@blp.response(200, CreditNoteListSchema)
def list_credit_notes(contract_id, period):
    """A contract's credit notes in issue order, void ones too: each note's number, month, status and total."""
    return jsonify({"items": credit_notes.list_notes(db.session(), contract_id, period)})


@blp.route("/contracts/<string:contract_id>/renewal-summary", methods=["GET"])
@requires("sales", "billing", "accounting")
@problems(404)
@blp.response(200, RenewalSummarySchema)
def renewal_summary(contract_id):
    """Deductions and licence days from issued notes, and termination rights still open."""
    return jsonify(renewal.renewal_summary(db.session(), contract_id, clock.now()))


credit_note_blp = Blueprint("credit_notes", __name__, url_prefix="/v1", description="Issued credit notes")


@credit_note_blp.route("/credit-notes/<string:number>", methods=["GET"])
@requires("billing", "accounting")
@problems(404, 422)
@credit_note_blp.arguments(DocumentQuerySchema, location="query", as_kwargs=True)
@credit_note_blp.response(200, CreditNoteSchema)
@credit_note_blp.doc(**PDF_DOC)
def get_credit_note(number, **_query):
    """An issued (or void) credit note exactly as frozen, JSON or PDF (the PDF as first delivered)."""
    note = credit_notes.get_note(db.session(), number)
    if wants_pdf():
        return note_pdf_response(note)
    return jsonify(credit_notes.note_json(note))
