"""PDF benchmarks (issue 4). Prints figures measured in this run; asserts nothing.

    python bench/documents.py

- a one-page credit note rendered as its first download renders it (render_pdf on the stored note,
  its seller and history), against WeasyPrint rendering a one-paragraph document (the floor any PDF
  costs), in the same run; and the download of the same note once kept, which serves stored bytes;
- a worker's resident memory over 300 credit-note renders, after a warm-up.

A kept note's download renders nothing (a note's PDF is rendered once and then served as first
delivered), so timing downloads, as this did before documents were kept, measured a database read.
"""
from __future__ import annotations

import copy
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

from weasyprint import HTML

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from creditsvc import create_app, db, render  # noqa: E402
from creditsvc.services import credit_notes  # noqa: E402
from creditsvc.services.auth import create_api_key  # noqa: E402
from tests.api.conftest import SEPTEMBER_3CX  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def median_seconds(*functions, repeat: int) -> list[float]:
    """The median time of each function over `repeat` rounds, each round running every function once in
    turn: a shared machine's speed drifts by a fifth over seconds, and timing one function's 30 runs and
    then the other's put that drift into their ratio (5.4x to 6.7x over three runs of the same code)."""
    samples: list[list[float]] = [[] for _ in functions]
    for _ in range(repeat):
        for function, times in zip(functions, samples):
            started = time.perf_counter()
            function()
            times.append(time.perf_counter() - started)
    return [statistics.median(times) for times in samples]


def main() -> dict[str, float]:
    url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    db.upgrade(url)
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        key = create_api_key(db.session(), "bench", "billing")
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    body = copy.deepcopy(SEPTEMBER_3CX)
    client.put("/v1/contracts/acme-3cx", json=body["contract"])
    client.post("/v1/contracts/acme-3cx/incidents", json={"items": body["incidents"]})
    number = client.post("/v1/contracts/acme-3cx/credit-notes", json={"period": "2026-09"}).json["number"]

    def download():
        response = client.get(f"/v1/credit-notes/{number}?format=pdf")
        assert response.status_code == 200 and response.data.startswith(b"%PDF")

    with app.app_context():  # what note_pdf_response renders the first time it is asked (api/documents.py)
        note = credit_notes.get_note(db.session(), number)
        statement, contract = note.statement, note.inputs["contract"]
        body, seller = credit_notes.note_json(note), note.inputs.get("seller") or {}
        history = credit_notes.document_history(db.session(), note)

    def note_render():
        pdf = render.render_pdf(statement, contract, contract["locale"], note=body, seller=seller, history=history)
        assert pdf.startswith(b"%PDF")

    def paragraph():
        HTML(string="<p>One paragraph of text, the least a PDF can be.</p>").write_pdf()

    for _ in range(5):
        download()
        note_render()
        paragraph()
    rendered, floor, kept = median_seconds(note_render, paragraph, download, repeat=30)

    for _ in range(20):
        note_render()
    gc.collect()
    before = rss_mb()
    for _ in range(300):
        note_render()
    gc.collect()
    growth = rss_mb() - before

    print(f"one-page credit note PDF rendered: {rendered * 1000:.0f} ms; one-paragraph WeasyPrint PDF: "
          f"{floor * 1000:.0f} ms -> {rendered / floor:.2f}x (target <= 6x)")
    print(f"the same note downloaded once kept (stored bytes, no render): {kept * 1000:.1f} ms")
    print(f"worker RSS over 300 renders: {before:.1f} MB -> {before + growth:.1f} MB, growth {growth:.1f} MB "
          f"(target < 10 MB)")
    return {"pdf_over_paragraph": rendered / floor, "rss_growth_mb": growth}


if __name__ == "__main__":
    main()
