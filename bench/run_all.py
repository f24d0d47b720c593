"""Every benchmark of the project, one after another, each printing its figures and ratios.

    python bench/run_all.py

The stored-statements benchmark needs PostgreSQL (CREDITSVC_BENCH_DATABASE_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/creditsvc_bench); the HTTP one needs wrk.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import calculations  # noqa: E402
import documents  # noqa: E402
import service_load  # noqa: E402
import stored_statements  # noqa: E402

if __name__ == "__main__":
    print("== calculation core (issue 2)")
    calculations.main()
    print("== service (issue 3)")
    service_load.main()
    stored_statements.main(os.environ.get("CREDITSVC_BENCH_DATABASE_URL", stored_statements.DEFAULT_URL))
    print("== documents (issue 4)")
    documents.main()
