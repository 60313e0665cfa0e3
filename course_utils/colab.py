"""Colab badges and install lines, all derived from one place: ``pyproject.toml`` (notebook 00).

``[project.urls] Repository`` is the course repository; ``[tool.course] ref`` is the branch or tag
that Colab opens and installs ``course_utils`` from: ``main`` while the course is developed, and
a release tag only in the commit that ``make release VERSION=x.y.z`` tags. After changing either, run

    make colab-links          # = python -m course_utils.colab sync

which rewrites every notebook's and deck's badge and install line, and the README's course map.
``python -m course_utils.colab check`` (and the test suite) fails when something disagrees, or
when the ref is neither ``main`` nor a tag that exists in the repository (a link to a missing
ref opens nothing on Colab).

    make release VERSION=0.2.0   # = python -m course_utils.colab release 0.2.0

commits the version with every link pointing at the tag ``v0.2.0``, creates that tag, and
commits the links back to ``main``; then push ``main`` and the tag.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from course_utils.course import LESSONS, course_map_markdown

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_RE = re.compile(
    r"\[!\[Open In Colab\]\(https://colab\.research\.google\.com/assets/colab-badge\.svg\)\]"
    r"\(https://colab\.research\.google\.com/github/[^)\s]+\)"
)
INSTALL_RE = re.compile(r"course-utils @ git\+https://[^\"'\s\\]+")
MAP_START, MAP_END = "<!-- course-map:start -->", "<!-- course-map:end -->"
NOTEBOOK_DIRS = ("notebooks", "slides")
DEVELOPMENT_REF = "main"
VERSION_RE = re.compile(r"\d+\.\d+\.\d+")


@dataclass(frozen=True)
class RepoConfig:
    url: str  # https://github.com/OWNER/NAME
    ref: str  # tag, branch or commit

    @property
    def github_path(self) -> str:
        match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?/?", self.url)
        if not match:
            raise ValueError(
                f"the repository URL {self.url!r} is not a GitHub URL like "
                "https://github.com/OWNER/NAME (Colab opens notebooks from GitHub)"
            )
        return match.group(1)

    def colab_url(self, relpath: str) -> str:
        return f"https://colab.research.google.com/github/{self.github_path}/blob/{self.ref}/{relpath}"

    def badge(self, relpath: str) -> str:
        return f"[![Open In Colab]({BADGE_IMAGE})]({self.colab_url(relpath)})"

    def install_spec(self) -> str:
        return f"course-utils @ git+{self.url.rstrip('/')}@{self.ref}"


def _load_toml(path: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder above ``start`` with a pyproject.toml."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and (folder / "course_utils").is_dir():
            return folder
    raise ValueError(f"no course repository (pyproject.toml + course_utils/) at or above {here}")


def read_config(root: Path | None = None) -> RepoConfig:
    """Repository URL and ref from ``pyproject.toml``."""
    root = find_root(root)
    data = _load_toml(root / "pyproject.toml")
    try:
        url = data["project"]["urls"]["Repository"]
        ref = data["tool"]["course"]["ref"]
    except KeyError as exc:
        raise ValueError(
            f"pyproject.toml lacks {exc.args[0]!r}: expected [project.urls] Repository and [tool.course] ref"
        ) from None
    config = RepoConfig(url, ref)
    config.github_path  # validates the URL  # noqa: B018
    return config


def course_notebooks(root: Path) -> list[Path]:
    """Every notebook of the course (notebooks/ and slides/), sorted, without checkpoints/builds."""
    found = []
    for folder in NOTEBOOK_DIRS:
        for path in sorted((root / folder).glob("*.ipynb")):
            found.append(path)
    return found


def _rewrite_notebook(path: Path, relpath: str, config: RepoConfig) -> tuple[str, list[str]]:
    """Return (new text, problems) for one notebook file; text edits keep the JSON layout."""
    import json

    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    problems = []
    badge, spec = config.badge(relpath), config.install_spec()
    badge_json, spec_json = json.dumps(badge)[1:-1], json.dumps(spec)[1:-1]
    sources = ["".join(c.get("source", [])) for c in nb.get("cells", [])]
    badges = [m.group(0) for s in sources for m in BADGE_RE.finditer(s)]
    installs = [m.group(0) for s in sources for m in INSTALL_RE.finditer(s)]
    if len(badges) != 1:
        problems.append(f"{relpath}: expected one Colab badge, found {len(badges)}")
    elif badges[0] != badge:
        problems.append(f"{relpath}: badge points to {badges[0]!r}, expected {badge!r}")
    if len(installs) != 1:
        problems.append(f"{relpath}: expected one Colab install line ({spec!r}), found {len(installs)}")
    elif installs[0] != spec:
        problems.append(f"{relpath}: installs {installs[0]!r}, expected {spec!r}")
    # Substitute in the raw JSON text: the badge/spec never contain characters JSON escapes
    # differently, so the notebook's formatting and outputs stay byte-for-byte the same.
    new = BADGE_RE.sub(lambda _m: badge_json, text)
    new = INSTALL_RE.sub(lambda _m: spec_json, new)
    return new, problems


def _readme_text(root: Path, config: RepoConfig) -> tuple[str, list[str]]:
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    if MAP_START not in text or MAP_END not in text:
        return text, [f"README.md: missing the {MAP_START} ... {MAP_END} markers"]
    existing = {p.stem for p in (root / "notebooks").glob("*.ipynb")}

    def link(stem: str) -> str | None:
        return config.colab_url(f"notebooks/{stem}.ipynb") if stem in existing else None

    table = course_map_markdown(link)
    head, rest = text.split(MAP_START, 1)
    _, tail = rest.split(MAP_END, 1)
    new = f"{head}{MAP_START}\n{table}\n{MAP_END}{tail}"
    problems = [] if new == text else ["README.md: the course map table is out of date"]
    return new, problems


def check(root: Path | None = None) -> list[str]:
    """Problems found (empty list when every badge, install line and the README agree)."""
    root = find_root(root)
    config = read_config(root)
    problems: list[str] = []
    for path in course_notebooks(root):
        problems += _rewrite_notebook(path, path.relative_to(root).as_posix(), config)[1]
    problems += _readme_text(root, config)[1]
    problems += ref_problems(root, config.ref)
    listed = {lesson.stem for lesson in LESSONS}
    for path in (root / "notebooks").glob("*.ipynb"):
        if path.stem not in listed:
            problems.append(f"notebooks/{path.name}: not in course_utils.course.LESSONS")
    return problems


def sync(root: Path | None = None) -> list[Path]:
    """Rewrite badges, install lines and the README course map; return the files changed."""
    root = find_root(root)
    config = read_config(root)
    changed = []
    for path in course_notebooks(root):
        new, _ = _rewrite_notebook(path, path.relative_to(root).as_posix(), config)
        if new != path.read_text(encoding="utf-8"):
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    new, _ = _readme_text(root, config)
    readme = root / "README.md"
    if new != readme.read_text(encoding="utf-8"):
        readme.write_text(new, encoding="utf-8")
        changed.append(readme)
    return changed


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=check)


def ref_problems(root: Path, ref: str) -> list[str]:
    """Why ``ref`` would give broken Colab links: it must be ``main`` or an existing tag.

    A branch other than ``main`` or a commit hash is refused too: branches come and go, and a
    hash is unreadable in a link. Outside a git checkout (a downloaded archive) only ``main`` can
    be verified.
    """
    if ref == DEVELOPMENT_REF:
        return []
    where = "[tool.course] ref in pyproject.toml"
    if not (root / ".git").exists():
        return [f"{where} is {ref!r}; without a git checkout only {DEVELOPMENT_REF!r} can be verified"]
    try:
        found = _git(root, "tag", "--list", ref).stdout.split()
    except (OSError, subprocess.CalledProcessError) as exc:
        return [f"{where} is {ref!r}, and git could not list the tags to verify it ({exc})"]
    if ref not in found:
        return [
            f"{where} is {ref!r}, which is neither {DEVELOPMENT_REF!r} nor a tag of this repository: "
            f"every Colab badge and install line would fail. Use {DEVELOPMENT_REF!r}, or cut a release "
            "with `make release VERSION=x.y.z`, which creates the tag it links to"
        ]
    return []


def _set_pyproject(root: Path, *, ref: str, version: str | None = None) -> None:
    path = root / "pyproject.toml"
    text = path.read_text(encoding="utf-8")
    text, n_ref = re.subn(r'(?m)^ref = "[^"]*"$', f'ref = "{ref}"', text)
    n_version = 1
    if version is not None:
        text, n_version = re.subn(r'(?m)^version = "[^"]*"$', f'version = "{version}"', text, count=1)
    if n_ref != 1 or n_version != 1:
        raise ValueError("pyproject.toml must have exactly one `ref = \"...\"` line and a `version = \"...\"` line")
    path.write_text(text, encoding="utf-8")
    init = root / "course_utils" / "__init__.py"
    if version is not None and init.is_file():
        init_text = re.sub(r'(?m)^__version__ = "[^"]*"$', f'__version__ = "{version}"', init.read_text(encoding="utf-8"))
        init.write_text(init_text, encoding="utf-8")


def release(version: str, root: Path | None = None) -> str:
    """Cut release ``v<version>``: two commits and a tag on the current branch; returns the tag.

    1. set ``version`` and ``ref = "v<version>"``, rewrite every link, commit "Release v<version>";
    2. tag that commit ``v<version>`` (annotated): its links point at itself;
    3. set ``ref = "main"`` again, rewrite the links, commit: development goes on at ``main``.

    Refuses a version that is not ``x.y.z``, a tag that exists, and uncommitted changes.
    Nothing is pushed: ``git push origin main v<version>`` publishes it.
    """
    root = find_root(root)
    if not VERSION_RE.fullmatch(version or ""):
        raise ValueError(f"version must look like 1.2.3 (major.minor.patch), got {version!r}")
    tag = f"v{version}"
    if _git(root, "status", "--porcelain").stdout.strip():
        raise ValueError("the working tree has uncommitted changes; commit or stash them before a release")
    if _git(root, "tag", "--list", tag).stdout.strip():
        raise ValueError(f"the tag {tag} exists already; choose a new version")
    problems = check(root)
    if problems:
        raise ValueError("fix these before a release:\n" + "\n".join(problems))
    _set_pyproject(root, ref=tag, version=version)
    _release_commit(root, f"Release {tag}: Colab badges and install lines point at {tag}")
    _git(root, "tag", "-a", tag, "-m", f"Course release {tag}")
    _set_pyproject(root, ref=DEVELOPMENT_REF)
    _release_commit(root, f"After {tag}: Colab links point at {DEVELOPMENT_REF} again")
    return tag


def _release_commit(root: Path, message: str) -> None:
    sync(root)
    _git(root, "add", "-A", "pyproject.toml", "README.md", "course_utils/__init__.py", *NOTEBOOK_DIRS)
    _git(root, "commit", "-q", "-m", message)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.colab", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("sync", "check", "release"),
                        help="rewrite links, only report problems, or cut a release")
    parser.add_argument("version", nargs="?", help="with release: the new version, e.g. 0.2.0")
    parser.add_argument("--root", type=Path, default=None, help="repository root (default: found from cwd)")
    args = parser.parse_args(argv)
    if args.command == "release":
        try:
            tag = release(args.version, args.root)
        except (ValueError, subprocess.CalledProcessError) as exc:
            print(f"release failed: {getattr(exc, 'stderr', None) or exc}", file=sys.stderr)
            return 1
        print(f"tagged {tag}; publish it with: git push origin HEAD {tag}")
        return 0
    if args.command == "sync":
        for path in sync(args.root):
            print(f"updated {path}")
        root = find_root(args.root)
        problems = [p for p in check(root) if "expected one" in p or "not in course_utils" in p]
        problems += ref_problems(root, read_config(root).ref)
    else:
        problems = check(args.root)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
