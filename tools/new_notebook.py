"""Create a new course notebook from the template (what `make new-notebook` calls).

    python tools/new_notebook.py 07_lenet_alexnet_lrn --title "LeNet, AlexNet and LRN"

The template has the parts every notebook needs and the tests check: a title with the
Colab badge, a summary and learning goals, the set-up cell (Colab install line + runtime
set-up), and an exercises section with a solution cell that is collapsed in JupyterLab (code and
outputs hidden) and on Colab (a form: only its "#@title" shows). Badge and install line are
taken from pyproject.toml (see course_utils.colab). Afterwards: add the lesson to
course_utils/course.py (LESSONS), write it, then `make execute NB=...` and `make nb NB=...`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course_utils.colab import read_config  # noqa: E402

SETUP_SOURCE = '''\
# Set-up: on Colab, install the course helpers (pinned to the course release) first.
import sys

if "google.colab" in sys.modules:
    %pip install --quiet "{spec}"

from course_utils.runtime import setup

PROFILE = setup()  # seeds Python/NumPy/Keras, quiets TensorFlow, prints versions and device'''

# Under the exercises: where the solutions are and how to open them (JupyterLab and Colab).
SOLUTIONS_NOTE = (
    "**Solutions** follow, one collapsed cell per exercise: try each exercise first. In JupyterLab, click a\n"
    "collapsed cell's \"...\" to show its code or its printed answer. On Colab, double-click the title\n"
    "*Solution N* to show the code; Colab prints the answer under the title, so scroll past it only after trying."
)


def md(text: str, **metadata) -> nbformat.NotebookNode:
    return new_markdown_cell(text.strip("\n"), metadata=metadata)


def code(text: str, *tags: str) -> nbformat.NotebookNode:
    metadata: dict = {}
    if tags:
        metadata["tags"] = list(tags)
    return new_code_cell(text.strip("\n"), metadata=metadata)


def solution(number, text: str, *tags: str) -> nbformat.NotebookNode:
    """The solution to exercise ``number``, collapsed everywhere but still run by the tests (nbval).

    JupyterLab hides its code and outputs (``jupyter.source_hidden`` / ``outputs_hidden``); Colab
    shows a form cell (``cellView: form``) as its ``#@title`` line only, with the code hidden.
    """
    body = text.strip("\n")
    cell = code(f"#@title Solution {number} (double-click to show the code)\n{body}", "solution", *tags)
    cell.metadata["cellView"] = "form"
    cell.metadata["jupyter"] = {"outputs_hidden": True, "source_hidden": True}
    return cell


def header_cells(relpath: str, title: str, summary: str, goals: list[str]) -> list:
    """Title + badge, summary, learning goals and the set-up cell."""
    config = read_config(ROOT)
    goal_lines = "\n".join(f"- {g}" for g in goals)
    return [
        md(f"# {title}\n\n{config.badge(relpath)}\n\n{summary}"),
        md(f"## Learning goals\n\n{goal_lines}"),
        code(SETUP_SOURCE.format(spec=config.install_spec()), "setup"),
    ]


def notebook(cells: list) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["colab"] = {"provenance": []}
    return nb


def template(stem: str, title: str, folder: str = "notebooks") -> nbformat.NotebookNode:
    number = stem.split("_", 1)[0]
    cells = header_cells(
        f"{folder}/{stem}.ipynb",
        f"{number} · {title}",
        "One paragraph: what this notebook shows and why it matters.",
        ["first goal", "second goal"],
    )
    cells += [
        md("## 1. First idea\n\nExplain before the code (Korean term beside the English on first use)."),
        code("import numpy as np\n\nresult = np.array([1, 2]) + 1\nresult", "nbval-check-output"),
        md("Check what was just claimed, right where it is shown:"),
        code("np.testing.assert_array_equal(result, [2, 3])"),
        md(f"## Exercises\n\n1. An exercise.\n\n{SOLUTIONS_NOTE}"),
        solution(1, "assert 1 + 1 == 2"),
    ]
    return notebook(cells)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stem", help="file name without .ipynb, e.g. 07_lenet_alexnet_lrn")
    parser.add_argument("--title", required=True)
    parser.add_argument("--folder", default="notebooks", choices=("notebooks", "slides"))
    args = parser.parse_args()
    path = ROOT / args.folder / f"{args.stem}.ipynb"
    if path.exists():
        print(f"{path} exists; not overwriting", file=sys.stderr)
        return 1
    nbformat.write(template(args.stem, args.title, args.folder), path)
    print(f"created {path}; next: add it to course_utils/course.py LESSONS, then `make execute NB={path.relative_to(ROOT)}`")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
