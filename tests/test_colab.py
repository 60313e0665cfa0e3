"""course_utils.colab: one repository URL, every badge and install line derived from it."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from course_utils import colab
from course_utils.course import LESSONS

ROOT = Path(__file__).resolve().parents[1]


def test_the_repository_agrees_with_pyproject():
    assert colab.check(ROOT) == []


def test_config_and_links():
    config = colab.read_config(ROOT)
    assert config.url.startswith("https://github.com/")
    rel = "notebooks/00_start_here.ipynb"
    assert config.colab_url(rel) == (
        f"https://colab.research.google.com/github/{config.github_path}/blob/{config.ref}/{rel}"
    )
    assert config.install_spec() == f"course-utils @ git+{config.url}@{config.ref}"
    assert colab.BADGE_RE.fullmatch(config.badge(rel))


def test_non_github_url_is_rejected():
    with pytest.raises(ValueError, match="not a GitHub URL"):
        _ = colab.RepoConfig("https://gitlab.com/a/b", "main").github_path


@pytest.fixture
def fake_repo(tmp_path):
    """A minimal copy of the repository: pyproject, README, one notebook and one deck."""
    root = tmp_path / "repo"
    (root / "course_utils").mkdir(parents=True)
    (root / "notebooks").mkdir()
    (root / "slides").mkdir()
    shutil.copy(ROOT / "pyproject.toml", root)
    shutil.copy(ROOT / "README.md", root)
    shutil.copy(ROOT / "course_utils" / "__init__.py", root / "course_utils")
    shutil.copy(ROOT / "notebooks" / "00_start_here.ipynb", root / "notebooks")
    for deck in (ROOT / "slides").glob("*.ipynb"):
        shutil.copy(deck, root / "slides")
    colab.sync(root)  # the README's map links only the notebooks this copy has
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.email", "test@example.org")
    _git(root, "config", "user.name", "Test")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "fake course")
    return root


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout


def _set_repository(root: Path, url: str, ref: str) -> None:
    text = (root / "pyproject.toml").read_text()
    text = re.sub(r'(?m)^Repository = ".*"$', f'Repository = "{url}"', text)
    text = re.sub(r'(?m)^ref = ".*"$', f'ref = "{ref}"', text)
    (root / "pyproject.toml").write_text(text)


def test_changing_the_url_is_detected_and_sync_rewrites_everything(fake_repo):
    assert colab.check(fake_repo) == []
    _git(fake_repo, "tag", "v0.0.1")
    _set_repository(fake_repo, "https://github.com/someone/fork", "v0.0.1")
    problems = colab.check(fake_repo)
    assert any("00_start_here.ipynb: badge points to" in p for p in problems)
    assert any("installs 'course-utils @ git+https://github.com/cnn-course" in p for p in problems)
    assert "README.md: the course map table is out of date" in problems

    before = json.loads((fake_repo / "notebooks" / "00_start_here.ipynb").read_text())
    changed = colab.sync(fake_repo)
    assert fake_repo / "README.md" in changed and fake_repo / "notebooks" / "00_start_here.ipynb" in changed
    assert colab.check(fake_repo) == []
    after = json.loads((fake_repo / "notebooks" / "00_start_here.ipynb").read_text())
    text = json.dumps(after)
    assert "github/someone/fork/blob/v0.0.1/notebooks/00_start_here.ipynb" in text
    assert "course-utils @ git+https://github.com/someone/fork@v0.0.1" in text
    # Only the links changed: same cells, same outputs.
    assert len(after["cells"]) == len(before["cells"])
    assert [c.get("outputs") for c in after["cells"]] == [c.get("outputs") for c in before["cells"]]
    assert colab.sync(fake_repo) == []  # idempotent


def test_missing_badge_or_unlisted_notebook_is_reported(fake_repo):
    nb_path = fake_repo / "notebooks" / "00_start_here.ipynb"
    nb = json.loads(nb_path.read_text())
    nb["cells"][0]["source"] = ["# No badge here\n"]
    (fake_repo / "notebooks" / "99_extra.ipynb").write_text(json.dumps(nb))
    problems = colab.check(fake_repo)
    assert "notebooks/99_extra.ipynb: expected one Colab badge, found 0" in problems
    assert "notebooks/99_extra.ipynb: not in course_utils.course.LESSONS" in problems


def test_cli_check_exit_codes(fake_repo, capsys):
    assert colab.main(["check", "--root", str(fake_repo)]) == 0
    _git(fake_repo, "tag", "v9")
    _set_repository(fake_repo, "https://github.com/someone/fork", "v9")
    assert colab.main(["check", "--root", str(fake_repo)]) == 1
    assert "badge points to" in capsys.readouterr().err
    assert colab.main(["sync", "--root", str(fake_repo)]) == 0
    assert colab.main(["check", "--root", str(fake_repo)]) == 0


def test_lessons_are_numbered_in_order():
    assert [int(lesson.stem[:2]) for lesson in LESSONS] == list(range(len(LESSONS)))


def test_the_configured_ref_is_main_or_an_existing_tag():
    """Colab links to a ref that does not exist fail for every student: make test refuses them."""
    config = colab.read_config(ROOT)
    assert colab.ref_problems(ROOT, config.ref) == []
    if config.ref != colab.DEVELOPMENT_REF:
        assert config.ref in _git(ROOT, "tag", "--list").split()


def test_a_missing_tag_or_other_ref_is_reported(fake_repo, tmp_path):
    for ref in ("v0.1.0", "develop", "abc1234"):
        _set_repository(fake_repo, colab.read_config(ROOT).url, ref)
        colab.sync(fake_repo)
        problems = colab.check(fake_repo)
        assert any(f"ref in pyproject.toml is {ref!r}, which is neither 'main' nor a tag" in p for p in problems)
    _git(fake_repo, "tag", "v0.1.0")
    _set_repository(fake_repo, colab.read_config(ROOT).url, "v0.1.0")
    colab.sync(fake_repo)
    assert colab.check(fake_repo) == []
    # without a git checkout (a downloaded archive) only main can be verified
    archive = tmp_path / "archive"
    shutil.copytree(fake_repo, archive, ignore=shutil.ignore_patterns(".git"))
    assert any("without a git checkout only 'main'" in p for p in colab.check(archive))


def test_release_tags_a_commit_whose_links_point_at_the_tag(fake_repo, capsys):
    assert colab.main(["release", "0.2.0", "--root", str(fake_repo)]) == 0
    assert "tagged v0.2.0" in capsys.readouterr().out
    assert _git(fake_repo, "tag", "--list").split() == ["v0.2.0"]
    assert _git(fake_repo, "status", "--porcelain") == ""
    # the tagged commit: version 0.2.0, every link at v0.2.0
    tagged_nb = _git(fake_repo, "show", "v0.2.0:notebooks/00_start_here.ipynb")
    assert "blob/v0.2.0/notebooks/00_start_here.ipynb" in tagged_nb and "@v0.2.0" in tagged_nb
    assert 'version = "0.2.0"' in _git(fake_repo, "show", "v0.2.0:pyproject.toml")
    assert '__version__ = "0.2.0"' in _git(fake_repo, "show", "v0.2.0:course_utils/__init__.py")
    assert "blob/v0.2.0/" in _git(fake_repo, "show", "v0.2.0:README.md")
    # main goes on at main, and both commits pass the check
    assert colab.read_config(fake_repo).ref == "main"
    assert "blob/main/notebooks" in (fake_repo / "notebooks" / "00_start_here.ipynb").read_text()
    assert colab.check(fake_repo) == []
    assert len(_git(fake_repo, "log", "--oneline").splitlines()) == 3
    # refused: the same tag again, a bad version, a dirty tree
    assert colab.main(["release", "0.2.0", "--root", str(fake_repo)]) == 1
    assert "exists already" in capsys.readouterr().err
    assert colab.main(["release", "2.0", "--root", str(fake_repo)]) == 1
    assert "must look like 1.2.3" in capsys.readouterr().err
    (fake_repo / "README.md").write_text("changed\n")
    assert colab.main(["release", "0.3.0", "--root", str(fake_repo)]) == 1
    assert "uncommitted changes" in capsys.readouterr().err
