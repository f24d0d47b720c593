from __future__ import annotations

from ..calculators.statement import StatementRequest, compute_statement
from ..schemas.calculation import CalculationRequestSchema
from ..schemas.statement import StatementSchema
from .blueprint import Blueprint

blp = Blueprint("calculations", __name__, url_prefix="/v1", description="Stateless statement calculation")


@blp.route("/calculations", methods=["POST"])
@blp.arguments(CalculationRequestSchema)
@blp.response(200, StatementSchema)
def calculate(request: StatementRequest):
    """Compute the statement of a contract, its records and a period. Stores nothing."""
    return compute_statement(request)
