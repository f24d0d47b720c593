"""The calculation core is pure: importing every module of creditsvc.calculators pulls in no web
framework and no database layer (no Flask, no SQLAlchemy)."""
import ast
import json
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, json, pkgutil, sys
import creditsvc.calculators, creditsvc.calculators.statement
names = sorted(m.name for m in pkgutil.walk_packages(creditsvc.calculators.__path__, "creditsvc.calculators."))
for name in names:
    importlib.import_module(name)
forbidden = sorted(m for m in sys.modules
                   if m.split(".")[0].lower() in ("flask", "sqlalchemy")
                   or m.lower().startswith(("flask", "sqlalchemy")))
print(json.dumps({"imported": names, "forbidden": forbidden}))
"""


def probe() -> dict:
    completed = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60,
                               check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_importing_every_calculator_module_loads_neither_flask_nor_sqlalchemy():
    result = probe()
    assert result["forbidden"] == []


def test_the_purity_probe_imports_every_module_of_the_calculation_core():
    imported = set(probe()["imported"])
    on_disk = {f"creditsvc.calculators.{path.stem}"
               for path in (ROOT / "creditsvc" / "calculators").glob("*.py") if path.stem != "__init__"}
    assert on_disk <= imported
    assert "creditsvc.calculators.statement" in imported


ALLOWED_TOP_LEVEL = {"__future__", "array", "bisect", "collections", "dataclasses", "datetime", "decimal", "fractions",
                     "functools", "math", "re", "zoneinfo", "holidays", "typing", "itertools", "enum"}


def test_the_calculator_modules_import_only_the_standard_library_holidays_and_each_other():
    for path in sorted((ROOT / "creditsvc" / "calculators").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in ALLOWED_TOP_LEVEL, f"{path.name} imports {name}"
