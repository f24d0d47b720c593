"""`creditsvc serve` whose POST /v1/calculations skips its own work: for bench/service_load.py only.

The request body is still read and the key checked, and the statement is still
written as JSON; what is replaced by results computed once, before the workers start, is the schema
load, the calculation and the statement dump. Never run this as a service.

    python bench/_floor_server.py serve --port N
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from typical_month import calculation_body  # noqa: E402

from creditsvc.api import calculations  # noqa: E402
from creditsvc.cli import main  # noqa: E402
from creditsvc.schemas.calculation import CalculationRequestSchema  # noqa: E402

REQUEST = CalculationRequestSchema().load(calculation_body())
STATEMENT = calculations.compute_statement(REQUEST)
DUMPED = calculations.dump_statement(STATEMENT)

CalculationRequestSchema.load = lambda self, data, **kwargs: REQUEST
CalculationRequestSchema.load_body = lambda self, body: REQUEST  # the road from bytes (schemas/fastload.py)
calculations.compute_statement = lambda request: STATEMENT
calculations.dump_statement = lambda statement: DUMPED

if __name__ == "__main__":
    sys.exit(main())
