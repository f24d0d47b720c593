"""POST /v1/calculations against GET /healthz under `creditsvc serve` with its default workers (issue 3).
Both are measured with wrk in the same run; prints the ratio, asserts nothing.

    python bench/service_load.py [seconds per round] [rounds] [--stages] [--smaller]

gunicorn's workers each accept what connections they can, so the 8 keep-alive connections of one
wrk run sometimes all land on one worker and that run sees half the machine. The two endpoints are
therefore measured in alternating rounds, each with fresh connections, and compared by their medians;
every round is printed.

A second server then answers the same calculation requests with their validation, computation and
dump replaced by results computed once (bench/_floor_server.py): what the stack itself costs (HTTP,
gunicorn, Flask, the key check, reading and parsing 12 kB of JSON, writing 12 kB back). Its ratio is
the most the endpoint could reach with free calculations. With `--stages`, three more servers each
make one stage free (the load, the calculation, the dump), to show what each stage costs. With
`--smaller`, the same server is then measured on the typical month cut to a half, a third (10
incidents, the month issue 3's stored-statements target gives each contract), a fifth and a tenth
of its records (bench/typical_month.py's smaller_month): the figures for planners deciding what a
typical month is.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
CREDITSVC = [sys.executable, "-m", "creditsvc.cli"]  # this interpreter's, whether or not its bin/ is on PATH
sys.path.insert(0, str(HERE))
from typical_month import RECORD_LISTS, calculation_body, smaller_month  # noqa: E402

# --smaller: the same month with these shares of its records; a third keeps 10 of its 30 incidents
SMALLER_SHARES = ("1/2", "1/3", "1/5", "1/10")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url: str, seconds: int, script: str | None = None) -> float:
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", url] + (["-s", script] if script else [])
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"errors under load:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


@contextlib.contextmanager
def serving(command: list[str], env: dict):
    port = free_port()
    server = subprocess.Popen(command + ["serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=60)


def rounds(base: str, script: Path, seconds: int, count: int) -> tuple[list[float], list[float]]:
    """(healthz, calculations) req/s of `count` alternating rounds, after a warm-up of each."""
    wrk(f"{base}/healthz", 2)
    wrk(f"{base}/v1/calculations", 2, str(script))
    health, calculations = [], []
    for _ in range(count):
        health.append(wrk(f"{base}/healthz", seconds))
        calculations.append(wrk(f"{base}/v1/calculations", seconds, str(script)))
    return health, calculations


def report(label: str, health: list[float], calculations: list[float]) -> float:
    ratio = statistics.median(calculations) / statistics.median(health)
    print(f"{label}: GET /healthz {statistics.median(health):,.0f} req/s, POST /v1/calculations "
          f"{statistics.median(calculations):,.0f} req/s (medians) -> {ratio:.1%}")
    print("    rounds: healthz " + ", ".join(f"{h:,.0f}" for h in health)
          + " | calculations " + ", ".join(f"{c:,.0f}" for c in calculations))
    return ratio


def post_script(folder: Path, name: str, key: str, body: dict) -> Path:
    """A wrk script posting `body` with the bench key."""
    (folder / f"{name}.json").write_text(json.dumps(body))
    script = folder / f"{name}.lua"
    script.write_text(f'''wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {key}"
local f = io.open("{folder / f'{name}.json'}", "r"); wrk.body = f:read("*a"); f:close()
''')
    return script


def counts(body: dict) -> str:
    """The month's records, and the credits its statement gives (computed here, once)."""
    from creditsvc.calculators.statement import compute_statement
    from creditsvc.schemas.calculation import CalculationRequestSchema

    statement = compute_statement(CalculationRequestSchema().load(body))
    credits = sorted({line.kind for line in statement.lines if line.amount}) or ["none"]
    return (", ".join(f"{name.replace('_', ' ')} {len(body[name])}" for name in RECORD_LISTS)
            + f"; credits: {', '.join(credits)}")


def main(seconds: int = 5, count: int = 3, stages: bool = False, smaller: bool = False) -> float | None:
    if not shutil.which("wrk"):
        print("http benchmark skipped: wrk is not installed (apt-get install wrk)")
        return None
    folder = Path(tempfile.mkdtemp())
    env = {**os.environ, "CREDITSVC_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}"}
    key = subprocess.run(CREDITSVC + ["create-api-key", "--name", "bench", "--role", "billing"], env=env,
                         capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    script = post_script(folder, "typical", key, calculation_body())
    print(f"under creditsvc serve (default workers), wrk -t2 -c8, {count} alternating rounds of {seconds} s, "
          f"typical month ({counts(calculation_body())}):")
    with serving(CREDITSVC, env) as base:
        ratio = report("  creditsvc serve", *rounds(base, script, seconds, count))
        print("  (target >= 30 %)")
        for share in SMALLER_SHARES if smaller else ():
            body = smaller_month(share)
            report(f"  a smaller month ({counts(body)})",
                   *rounds(base, post_script(folder, f"share-{share.replace('/', '-of-')}", key, body), seconds, count))
    floor = [sys.executable, str(HERE / "_floor_server.py")]
    with serving(floor, {**env, "CREDITSVC_BENCH_FREE": "load,compute,dump"}) as base:
        report("  floor, calculations precomputed", *rounds(base, script, seconds, count))
    for stage in ("load", "compute", "dump") if stages else ():
        with serving(floor, {**env, "CREDITSVC_BENCH_FREE": stage}) as base:
            report(f"  only the {stage} precomputed", *rounds(base, script, seconds, count))
    return ratio


if __name__ == "__main__":
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    if set(flags) - {"--stages", "--smaller"}:
        sys.exit("usage: python bench/service_load.py [seconds per round] [rounds] [--stages] [--smaller]")
    main(*(int(a) for a in sys.argv[1:] if a not in flags), stages="--stages" in flags,
         smaller="--smaller" in flags)
