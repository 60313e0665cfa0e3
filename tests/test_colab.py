"""course_utils.colab: one repository URL, every badge and install line derived from it."""

import json
import shutil
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
    shutil.copy(ROOT / "notebooks" / "00_start_here.ipynb", root / "notebooks")
    for deck in (ROOT / "slides").glob("*.ipynb"):
        shutil.copy(deck, root / "slides")
    colab.sync(root)  # the README's map links only the notebooks this copy has
    return root


def _set_repository(root: Path, url: str, ref: str) -> None:
    text = (root / "pyproject.toml").read_text()
    config = colab.read_config(ROOT)
    text = text.replace(f'Repository = "{config.url}"', f'Repository = "{url}"')
    text = text.replace(f'ref = "{config.ref}"', f'ref = "{ref}"')
    (root / "pyproject.toml").write_text(text)


def test_changing_the_url_is_detected_and_sync_rewrites_everything(fake_repo):
    assert colab.check(fake_repo) == []
    _set_repository(fake_repo, "https://github.com/someone/fork", "abc1234")
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
    assert "github/someone/fork/blob/abc1234/notebooks/00_start_here.ipynb" in text
    assert "course-utils @ git+https://github.com/someone/fork@abc1234" in text
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
    _set_repository(fake_repo, "https://github.com/someone/fork", "v9")
    assert colab.main(["check", "--root", str(fake_repo)]) == 1
    assert "badge points to" in capsys.readouterr().err
    assert colab.main(["sync", "--root", str(fake_repo)]) == 0
    assert colab.main(["check", "--root", str(fake_repo)]) == 0


def test_lessons_are_numbered_in_order():
    assert [int(lesson.stem[:2]) for lesson in LESSONS] == list(range(len(LESSONS)))
