"""Every notebook and deck has the course's shape, and its stored outputs come from a clean run.

nbval (run by `make test` on every notebook) checks that the cells run and that tagged outputs
match; this file checks what nbval does not: the structure of the stored notebook.
"""

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

from course_utils.colab import course_notebooks, read_config
from course_utils.course import LESSONS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = course_notebooks(ROOT)
IDS = [p.relative_to(ROOT).as_posix() for p in NOTEBOOKS]


@pytest.fixture(params=NOTEBOOKS, ids=IDS)
def nb_path(request):
    return request.param


def _read(path):
    return nbformat.read(path, as_version=4)


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_there_are_notebooks_and_decks():
    assert any(p.parent.name == "notebooks" for p in NOTEBOOKS)
    assert any(p.parent.name == "slides" for p in NOTEBOOKS)


def test_valid_nbformat(nb_path):
    nb = _read(nb_path)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


def test_title_badge_and_goals(nb_path):
    nb = _read(nb_path)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and re.match(r"# \S", first.source), "first cell: a '# Title'"
    config = read_config(ROOT)
    assert config.badge(nb_path.relative_to(ROOT).as_posix()) in first.source, "Colab badge under the title"
    assert len(first.source.split("\n\n")) >= 3, "title, badge and a summary paragraph"
    if nb_path.parent.name == "notebooks":
        assert any(c.cell_type == "markdown" and "Learning goals" in c.source for c in nb.cells[:3])


def test_setup_cell_comes_first(nb_path):
    nb = _read(nb_path)
    setup = _code_cells(nb)[0]
    assert "setup" in setup.metadata.get("tags", []), "the first code cell is tagged 'setup'"
    assert "from course_utils.runtime import setup" in setup.source
    assert "PROFILE = setup(" in setup.source
    assert 'if "google.colab" in sys.modules:' in setup.source
    assert read_config(ROOT).install_spec() in setup.source
    report = "".join(o.get("text", "") for o in setup.outputs if o.output_type == "stream")
    # The stored report says which profile and hardware produced the outputs.
    assert re.search(r"Profile\s+(fast|full)", report) and "Device" in report, report


def test_no_error_outputs(nb_path):
    nb = _read(nb_path)
    for i, cell in enumerate(_code_cells(nb)):
        for out in cell.outputs:
            assert out.output_type != "error", f"code cell {i} has an error output: {out.get('ename')}"
            if out.output_type == "stream" and out.name == "stderr":
                assert "Traceback" not in out.text, f"code cell {i} printed a traceback"


def test_outputs_come_from_one_top_to_bottom_run(nb_path):
    nb = _read(nb_path)
    counts = [c.execution_count for c in _code_cells(nb) if c.source.strip()]
    assert None not in counts, "every code cell was executed"
    assert counts == list(range(1, len(counts) + 1)), f"execution counts not 1..n in order: {counts}"


def test_outputs_are_compared_somewhere(nb_path):
    """nbval runs in lax mode; each notebook must tag some deterministic cells for comparison."""
    nb = _read(nb_path)
    checked = [c for c in _code_cells(nb) if "nbval-check-output" in c.metadata.get("tags", [])]
    assert checked, "tag deterministic cells (worked numbers, shapes, counts) with nbval-check-output"
    assert all(c.outputs for c in checked), "a checked cell must have stored output to compare"


LESSON_NOTEBOOKS = [p for p in NOTEBOOKS if p.parent.name == "notebooks"]  # decks have no exercises

# A solution's first line: Colab shows a form cell as this title only (the code stays hidden).
SOLUTION_TITLE = re.compile(r"#@title Solution \S.* \(double-click to show the code\)")
SKIP_TAGS = {"nbval-skip", "skip-execution", "raises-exception"}


def _exercise_solutions(nb):
    """The solution cells (tag 'solution') after the last '## Exercises' heading."""
    heading = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Exercises")]
    assert heading, "an '## Exercises' section"
    solutions = [c for c in nb.cells[heading[-1]:] if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])]
    assert solutions, "solution cells (tag 'solution') after the exercises"
    return solutions


def _assert_solution_is_collapsed(cell, where):
    """Hidden in JupyterLab (code and printed answer) and on Colab (a form cell shows only its title)."""
    jupyter = cell.metadata.get("jupyter", {})
    assert jupyter.get("source_hidden") is True, f"{where}: code collapsed in JupyterLab (jupyter.source_hidden)"
    assert jupyter.get("outputs_hidden") is True, f"{where}: answer collapsed in JupyterLab (jupyter.outputs_hidden)"
    assert cell.metadata.get("cellView") == "form", f"{where}: a Colab form cell (cellView: form) hides the code"
    first = cell.source.split("\n", 1)[0]
    assert SOLUTION_TITLE.fullmatch(first), (
        f"{where}: first line '#@title Solution N (double-click to show the code)', got {first!r}"
    )
    # nbval must still run it: no tag or marker that skips the cell
    assert not SKIP_TAGS & set(cell.metadata.get("tags", [])), f"{where}: solutions are executed by the tests"
    assert "NBVAL_SKIP" not in cell.source and "NBVAL_RAISES_EXCEPTION" not in cell.source, where


@pytest.mark.parametrize("lesson_path", LESSON_NOTEBOOKS, ids=[p.name for p in LESSON_NOTEBOOKS])
def test_lessons_end_with_executed_exercise_solutions(lesson_path):
    nb = _read(lesson_path)
    for k, cell in enumerate(_exercise_solutions(nb), start=1):
        _assert_solution_is_collapsed(cell, f"solution cell {k}")
        assert cell.execution_count is not None, f"solution cell {k} was executed (stored outputs)"


def test_new_notebook_template_has_the_solution_shape(tmp_path):
    """tools/new_notebook.py writes the solution cell the test above asks of every lesson."""
    spec = importlib.util.spec_from_file_location("new_notebook", ROOT / "tools" / "new_notebook.py")
    new_notebook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(new_notebook)
    path = tmp_path / "99_template_check.ipynb"
    nbformat.write(new_notebook.template(path.stem, "Template check"), path)
    nb = _read(path)
    nbformat.validate(nb)
    for k, cell in enumerate(_exercise_solutions(nb), start=1):
        _assert_solution_is_collapsed(cell, f"template solution cell {k}")


@pytest.mark.parametrize("lesson_path", LESSON_NOTEBOOKS, ids=[p.name for p in LESSON_NOTEBOOKS])
def test_lessons_say_which_profile_and_hardware_made_the_outputs(lesson_path):
    notes = [c.source.lower() for c in _read(lesson_path).cells if c.cell_type == "markdown"]
    assert any(
        "stored outputs" in n and ("full" in n or "fast" in n) and ("cpu" in n or "gpu" in n) for n in notes
    ), "a markdown cell saying which profile and hardware produced the stored outputs (and the run time)"


def test_notebooks_are_lessons_in_order():
    stems = [p.stem for p in NOTEBOOKS if p.parent.name == "notebooks"]
    order = [lesson.stem for lesson in LESSONS]
    assert set(stems) <= set(order), f"not in course_utils.course.LESSONS: {set(stems) - set(order)}"
    assert stems == [s for s in order if s in stems]
    assert stems[0] == "00_start_here"


def test_decks_are_slideshows():
    for path in NOTEBOOKS:
        if path.parent.name == "slides":
            nb = _read(path)
            kinds = {c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells}
            assert "slide" in kinds, f"{path.name}: cells need slideshow metadata"
