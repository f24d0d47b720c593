"""The wheel carries everything: built, installed into a fresh virtual environment, started with
`creditsvc serve` outside the checkout, it issues a credit note and serves its PDF."""
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url, method="GET", body=None, key=None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.headers, response.read()


def test_the_wheel_installs_into_a_fresh_venv_and_serves_a_credit_note_pdf(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)], check=True)
    wheel = next(dist.glob("creditsvc-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for expected in ("creditsvc/templates/credit_note.html", "creditsvc/templates/style.css",
                     "creditsvc/templates/fonts/DejaVuSans.ttf", "creditsvc/templates/translations/vi/LC_MESSAGES/messages.mo",
                     "creditsvc/templates/translations/da/LC_MESSAGES/messages.mo",
                     "creditsvc/policies/templates/3cx-vn.toml", "creditsvc/db/migrations/env.py"):
        assert expected in names, expected
    assert any(n.startswith("creditsvc/db/migrations/versions/") for n in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True)
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREDITSVC_", "PYTHONPATH", "VIRTUAL_ENV"))}
    env["CREDITSVC_DATABASE_URL"] = f"sqlite:///{workdir / 'service.sqlite3'}"
    env["CREDITSVC_SELLER_NAME"] = "Công ty Phân phối Quốc tế"
    creditsvc = str(venv / "bin" / "creditsvc")
    created = subprocess.run([creditsvc, "create-api-key", "--name", "ops", "--role", "admin"], cwd=workdir, env=env,
                             capture_output=True, text=True, check=True)
    key = created.stdout.strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen([creditsvc, "serve", "--port", str(port), "--workers", "1"], cwd=workdir, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if call(f"{base}/readyz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        examples = ROOT / "examples" / "3cx-vn"
        contract = json.loads((examples / "contract.json").read_text("utf-8"))
        assert call(f"{base}/v1/contracts/acme-3cx", "PUT", contract, key)[0] == 201
        incidents = json.loads((examples / "incidents.json").read_text("utf-8"))
        assert call(f"{base}/v1/contracts/acme-3cx/incidents", "POST", incidents, key)[0] == 201
        status, _, body = call(f"{base}/v1/contracts/acme-3cx/credit-notes", "POST", {"period": "2026-09"}, key)
        assert status == 201
        number = json.loads(body)["number"]
        status, headers, pdf = call(f"{base}/v1/credit-notes/{number}?format=pdf", key=key)
        assert status == 200 and headers["Content-Type"] == "application/pdf" and pdf.startswith(b"%PDF")
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert "Giấy báo có" in text and number in text and "400.000\u00a0₫" in text  # catalog, template, Babel
    finally:
        server.send_signal(signal.SIGTERM)  # gunicorn shuts down gracefully on SIGTERM
        output = server.communicate(timeout=60)[0]
    assert server.returncode == 0, output
    assert '"path": "/v1/credit-notes/' in output  # one JSON line per request


def test_the_dockerfile_the_readme_and_ci_install_the_same_way():
    """No Docker engine runs here, so CI exercises the image's steps by running the same ones."""
    import re

    readme = (ROOT / "README.md").read_text("utf-8")
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    install, test = re.findall(r"^    (\$\(command -v sudo\) apt-get .+)$", readme, re.MULTILINE)[:2]

    def packages(text):
        return re.search(r"apt-get install -y ([^&\\\n]+)", text).group(1).split()

    assert packages(install) == packages(test) == packages(ci) == packages(dockerfile)
    assert test in ci  # .ci/run calls exactly the README's test command
    assert "python3 -m venv .venv && .venv/bin/pip install -e ." in install
    assert "RUN python3 -m venv .venv && .venv/bin/pip install -e .\n" in dockerfile
