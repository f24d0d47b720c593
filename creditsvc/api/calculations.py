from __future__ import annotations

from ..calculators.statement import StatementRequest, compute_statement
from ..schemas.calculation import CalculationRequestSchema
from ..schemas.statement import StatementSchema
from .auth import requires
from .blueprint import Blueprint
from .docs import problems

blp = Blueprint("calculations", __name__, url_prefix="/v1", description="Stateless statement calculation")


@blp.route("/calculations", methods=["POST"])
@requires("billing")
@problems(400, 413, 415, 422)
@blp.arguments(CalculationRequestSchema)
@blp.response(200, StatementSchema)
def calculate(request: StatementRequest):
    """Compute the statement of a contract, its records and a period. Stores nothing."""
    return compute_statement(request)
