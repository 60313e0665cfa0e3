"""The decks build to HTML that works offline (what `make slides` does), checked without a browser.

`make check-slides` (tools/check_slides.py) opens the built decks in headless Chromium with the
network blocked; this test checks what can be checked on the HTML alone, on every `make test`.
"""

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import build_slides  # noqa: E402

DECKS = sorted((ROOT / "slides").glob("*.ipynb"))
# Anything the browser would fetch: script/img/iframe src, stylesheet links, CSS @import/url(), JS imports.
FETCHES = re.compile(
    r"""<(?:script|img|iframe|source|audio|video)\b[^>]*\bsrc=["'](?P<src>[^"']+)["']"""
    r"""|<link\b[^>]*\bhref=["'](?P<href>[^"']+)["']"""
    r"""|@import\s+(?:url\()?["']?(?P<imp>[^"')\s;]+)"""
    r"""|\burl\(["']?(?P<url>[^"')]+)["']?\)"""
    r"""|\bimport\s+[\w{}\s,*]*\s+from\s+["'](?P<js>[^"']+)["']"""
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    return dict(zip(DECKS, build_slides.build(DECKS, out), strict=True))


@pytest.mark.parametrize("deck", DECKS, ids=[d.name for d in DECKS])
def test_deck_fetches_nothing_from_the_network(deck, built):
    html = built[deck].read_text(encoding="utf-8")
    assert html.count("<section") >= 4  # several slides
    assert "data:image/png;base64" in html  # the stored figures are embedded
    fetched = [next(v for v in m.groupdict().values() if v) for m in FETCHES.finditer(html)]
    remote = [u for u in fetched if re.match(r"(https?:)?//", u)]
    assert not remote, f"{deck.name} would fetch from the network: {remote}"
    local_libs = {u.split("?")[0] for u in fetched if u.startswith(build_slides.LIB)}
    packages = {p.rsplit("@", 1)[0] for p in build_slides.NPM_PACKAGES}
    assert {u.split("/")[2] for u in local_libs} <= packages, "every local library comes from the npm install"
    assert f"{build_slides.LIB}/mathjax/MathJax.js" in html and f"{build_slides.LIB}/reveal.js/dist/reveal.js" in html


@pytest.mark.parametrize("deck", DECKS, ids=[d.name for d in DECKS])
def test_code_is_hidden_unless_it_is_the_point(deck, built):
    html = built[deck].read_text(encoding="utf-8")
    nb = nbformat.read(deck, as_version=4)
    assert '<div class="jp-InputPrompt' not in html and '<div class="jp-OutputPrompt' not in html, "no prompts"
    shown = [c for c in nb.cells if c.cell_type == "code" and build_slides.SHOW_CODE_TAG in c.metadata.get("tags", [])]
    # one input area per cell whose code is shown, none for the others (the set-up cell included)
    assert len(re.findall(r"<div class=\"jp-CodeMirrorEditor", html)) == len(shown)
    assert "%pip install" not in html
    assert "colab-badge.svg" not in html, "the badge image is on the internet: the decks show a text link"
