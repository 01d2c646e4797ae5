"""The layer rules, run by the tests: the import-linter contracts of pyproject.toml.

* the model imports nothing else of routeplanner;
* the solver and the checker never import each other, not even through another module;
* nothing outside ``routeplanner.web`` imports the web service (the known exceptions are
  listed there, each with its reason).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the venv's own, beside the interpreter running the tests (not resolved: that would leave the venv)
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def test_the_layer_contracts_are_kept():
    # --no-cache: nothing written into the checkout
    proc = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_web_contract_names_every_other_top_level_module():
    """Its sources are listed one by one, so a new module must be added there, or this fails."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    (web,) = [c for c in contracts if c.get("forbidden_modules") == ["routeplanner.web"]]
    package = ROOT / "routeplanner"
    top = {f"routeplanner.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"}
    top |= {f"routeplanner.{p.name}" for p in package.iterdir() if (p / "__init__.py").is_file()}
    assert sorted(web["source_modules"]) == sorted(top - {"routeplanner.web"})
