"""The notebook test harness itself: nbval, as configured in pyproject.toml, fails a notebook whose
cell raises (a failing assert included) or whose tagged output changed, and passes a notebook whose
only differences are sanitized (timings, addresses) or in untagged cells."""

import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]


def _nb(cells):
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return nb


def _cell(source, stored_text, tags=()):
    cell = new_code_cell(source, metadata={"tags": list(tags)} if tags else {}, execution_count=1)
    cell.outputs = [new_output("stream", name="stdout", text=stored_text)]
    return cell


def test_nbval_catches_failures_and_tolerates_sanitized_noise(tmp_path):
    cases = {
        "ok.ipynb": [
            _cell("print(6 * 7)", "42\n", ["nbval-check-output"]),
            _cell("import time\nprint(f'took {time.perf_counter() % 1 + 1:.3f} s at 0x7f3a2b1c9d80')",
                  "took 9.999 s at 0x7f0000000000\n", ["nbval-check-output"]),
            _cell("import random\nprint(random.random())", "0.5\n"),  # untagged: not compared
        ],
        "failing_assert.ipynb": [_cell("x = 41\nassert x == 42, 'wrong answer'", "")],
        "changed_output.ipynb": [_cell("print(6 * 9)", "42\n", ["nbval-check-output"])],
    }
    for name, cells in cases.items():
        nbformat.write(_nb(cells), tmp_path / name)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT),
         "-q", "-rA", "--nbval-sanitize-with", str(ROOT / "tests" / "sanitize.cfg"), str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    report = proc.stdout
    assert proc.returncode == 1, report
    lines = report.splitlines()
    for cell in ("Cell 0", "Cell 1", "Cell 2"):  # Cell 1 differs only in a timing and an address
        assert any(line.startswith("PASSED") and line.endswith(f"ok.ipynb::{cell}") for line in lines), report
    assert any(line.startswith("FAILED") and "failing_assert.ipynb::Cell 0" in line for line in lines), report
    assert any(line.startswith("FAILED") and "changed_output.ipynb::Cell 0" in line for line in lines), report
    assert not any(line.startswith("FAILED") and "ok.ipynb" in line for line in lines), report
