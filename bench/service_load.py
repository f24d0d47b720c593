"""POST /v1/calculations against GET /healthz under `creditsvc serve` with its default workers (issue 3).
Both are measured with wrk in the same run; prints the ratio, asserts nothing.

    python bench/service_load.py [seconds]
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from typical_month import calculation_body  # noqa: E402


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


def main(seconds: int = 10) -> float | None:
    if not shutil.which("wrk"):
        print("http benchmark skipped: wrk is not installed (apt-get install wrk)")
        return None
    folder = Path(tempfile.mkdtemp())
    env = {**os.environ, "CREDITSVC_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}"}
    key = subprocess.run(["creditsvc", "create-api-key", "--name", "bench", "--role", "billing"], env=env,
                         capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen(["creditsvc", "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        (folder / "body.json").write_text(json.dumps(calculation_body()))
        script = folder / "post.lua"
        script.write_text(f'''wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {key}"
local f = io.open("{folder / 'body.json'}", "r"); wrk.body = f:read("*a"); f:close()
''')
        wrk(f"{base}/healthz", 2)  # warm both up
        wrk(f"{base}/v1/calculations", 2, str(script))
        health = wrk(f"{base}/healthz", seconds)
        calculations = wrk(f"{base}/v1/calculations", seconds, str(script))
    finally:
        server.terminate()
        server.wait(timeout=60)
    ratio = calculations / health
    print(f"under creditsvc serve (default workers), wrk -t2 -c8 -d{seconds}s: GET /healthz {health:,.0f} req/s, "
          f"POST /v1/calculations (typical month) {calculations:,.0f} req/s -> {ratio:.1%} (target >= 30 %)")
    return ratio


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
