"""The shape of course_utils: a module map, back-links to the notebooks, no import cycles."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import course_utils

PACKAGE = Path(course_utils.__file__).resolve().parent
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
# Helpers every notebook uses rather than one notebook teaches; their module docstrings say so.
NO_LESSON = {"checks", "colab"}
NOTEBOOK_RE = re.compile(r"notebooks? \d\d")


def _public(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    for name in names:
        obj = getattr(module, name)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__:
            yield name, obj


def test_every_module_is_in_the_package_map():
    doc = course_utils.__doc__
    missing = [m for m in MODULES if f"``{m}``" not in doc]
    assert not missing, f"add these modules to the map in course_utils/__init__.py: {missing}"


@pytest.mark.parametrize("name", [m for m in MODULES if m not in NO_LESSON])
def test_public_helpers_name_the_notebook_that_teaches_them(name):
    module = importlib.import_module(f"course_utils.{name}")
    assert NOTEBOOK_RE.search(module.__doc__ or ""), f"course_utils.{name}'s docstring names no notebook"
    lacking = []
    for attr, obj in _public(module):
        doc = inspect.getdoc(obj) or ""
        if not NOTEBOOK_RE.search(doc) and not (inspect.isclass(obj) and _is_small_record(obj)):
            lacking.append(attr)
    assert not lacking, f"course_utils.{name}: these docstrings do not name a notebook: {lacking}"


def _is_small_record(cls) -> bool:
    """Dataclasses / named tuples returned by a documented function need no lesson of their own."""
    return hasattr(cls, "__dataclass_fields__") or hasattr(cls, "_fields")


def _imports(name: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "course_utils":
                found |= {a.name for a in node.names}
            elif node.module.startswith("course_utils."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("course_utils.")}
    return found & set(MODULES)


def test_no_import_cycles():
    graph = {m: _imports(m) for m in MODULES}
    done: set[str] = set()

    def visit(m, path):
        if m in path:
            raise AssertionError(f"import cycle: {' -> '.join([*path[path.index(m):], m])}")
        if m not in done:
            for dep in sorted(graph[m]):
                visit(dep, [*path, m])
            done.add(m)

    for m in MODULES:
        visit(m, [])
    assert graph["checks"] == set(), "checks is the bottom layer: it imports no other course module"


# Its classes subclass keras.layers.Layer, so importing it imports Keras (and the backend).
IMPORTS_KERAS = {"layers"}


def test_modules_import_without_keras():
    """Part I modules work with NumPy alone; only `layers` imports Keras at import time."""
    light = [m for m in MODULES if m not in IMPORTS_KERAS]
    code = (
        "import sys\n"
        f"for m in {light!r}:\n"
        "    __import__('course_utils.' + m)\n"
        "heavy = sorted(m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules)\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_readme_lists_every_source_of_the_course_map():
    from course_utils.course import LESSONS, SOURCES, sources_markdown

    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    assert sources_markdown() in readme, "README's Sources section differs from course_utils.course.SOURCES"
    assert {key for lesson in LESSONS for key in lesson.sources} <= set(SOURCES)
