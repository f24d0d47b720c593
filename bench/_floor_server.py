"""`creditsvc serve` whose POST /v1/calculations skips some of its own work: for bench/service_load.py only.

The request body is still read and the key checked, and the statement is still written as JSON.
CREDITSVC_BENCH_FREE names the stages replaced by results computed once, before the workers start:
any of `load` (the schema's load of the body), `compute` (the calculation) and `dump` (the
statement's dump), comma-separated; all three when unset. With all three free, what is left is what
the stack itself costs. Never run this as a service.

    CREDITSVC_BENCH_FREE=load python bench/_floor_server.py serve --port N
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from typical_month import calculation_body  # noqa: E402

from creditsvc.api import calculations  # noqa: E402
from creditsvc.cli import main  # noqa: E402
from creditsvc.schemas.calculation import CalculationRequestSchema  # noqa: E402

STAGES = ("load", "compute", "dump")
FREE = set(filter(None, os.environ.get("CREDITSVC_BENCH_FREE", ",".join(STAGES)).split(",")))
if not FREE <= set(STAGES):
    sys.exit(f"CREDITSVC_BENCH_FREE takes {', '.join(STAGES)}, not {', '.join(sorted(FREE - set(STAGES)))}")

REQUEST = CalculationRequestSchema().load(calculation_body())
STATEMENT = calculations.compute_statement(REQUEST)
DUMPED = calculations.dump_statement(STATEMENT)

if "load" in FREE:
    CalculationRequestSchema.load = lambda self, data, **kwargs: REQUEST
    CalculationRequestSchema.load_body = lambda self, body: REQUEST  # the road from bytes (schemas/fastload.py)
if "compute" in FREE:
    calculations.compute_statement = lambda request: STATEMENT
if "dump" in FREE:
    calculations.dump_statement = lambda statement: DUMPED

if __name__ == "__main__":
    sys.exit(main())
