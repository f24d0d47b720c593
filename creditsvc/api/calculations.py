from __future__ import annotations

from dataclasses import asdict

from ..calculators.statement import StatementRequest, compute_statement
from ..jsonio import json_response
from ..schemas.calculation import CalculationRequestSchema
from ..schemas.statement import StatementSchema, dump_statement
from .auth import requires
from .blueprint import Blueprint
from .docs import problems
from .documents import PDF_DOC, DocumentQuerySchema, pdf_response, wants_pdf

blp = Blueprint("calculations", __name__, url_prefix="/v1", description="Stateless statement calculation")


@blp.route("/calculations", methods=["POST"])
@requires("billing")
@problems(400, 413, 415, 422)
@blp.arguments(DocumentQuerySchema(), location="query", as_kwargs=True)
@blp.arguments(CalculationRequestSchema())
@blp.response(200, StatementSchema)
@blp.doc(**PDF_DOC)
def calculate(request: StatementRequest, **_query):
    """Compute the statement of a contract, its records and a period (JSON or PDF). Stores nothing."""
    statement = compute_statement(request)
    if wants_pdf():
        return pdf_response(dump_statement(statement), contract_document(request.contract), request.as_of)
    return json_response(dump_statement(statement))


def contract_document(contract) -> dict:
    """What a document prints of a request's contract: customer, locale, zone, its term (render.term_in_period)
    and its support agreement, whose free minutes the support table names (render.free_minutes reads them
    from the statement, as this has no policy document: the request's policy is resolved already)."""
    return {"id": contract.id, "locale": contract.locale, "timezone": contract.timezone,
            "customer": asdict(contract.customer) if contract.customer else {},
            "starts_on": contract.starts_on.isoformat(),
            "ends_on": contract.ends_on.isoformat() if contract.ends_on else None,
            "support_agreement": contract.support_agreement}
