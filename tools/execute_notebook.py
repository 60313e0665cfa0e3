"""Run a notebook top to bottom and store its outputs (what `make execute NB=...` calls).

    python tools/execute_notebook.py notebooks/01_convolution_by_hand.ipynb [more.ipynb ...]

The profile is $COURSE_PROFILE (default: full, what committed notebooks should carry where a
2-core CPU can run it). Timing metadata is not recorded, so a re-run changes only what the
notebook itself prints. The kernel is this Python environment's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path, timeout: int | None) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    start = time.perf_counter()
    try:
        client.execute()
    except Exception:
        # Keep what ran (a long full-profile run fails late): the outputs up to the failing cell go to a
        # file beside the notebook's name in the temp folder, the notebook itself stays untouched.
        failed = Path(tempfile.gettempdir()) / f"{path.stem}.failed.ipynb"
        nbformat.write(nb, failed)
        print(f"  failed after {time.perf_counter() - start:.0f} s; outputs so far: {failed}", file=sys.stderr)
        raise
    elapsed = time.perf_counter() - start
    nb.metadata.pop("widgets", None)  # widget state is large and not needed for a static view
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=None, help="seconds per cell (default: none)")
    args = parser.parse_args()
    os.environ.setdefault("COURSE_PROFILE", "full")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for path in args.notebooks:
        if path.suffix != ".ipynb" or not path.is_file():
            print(f"not a notebook: {path}", file=sys.stderr)
            return 2
        print(f"executing {path} (profile {os.environ['COURSE_PROFILE']}) ...", flush=True)
        print(f"  done in {execute(path, args.timeout):.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
