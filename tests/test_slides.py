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


def _deck_literals(deck: Path, names: set[str]) -> dict:
    """The literal values a deck's code cells assign to `names` (tables it quotes from a notebook)."""
    import ast

    found = {}
    for cell in nbformat.read(deck, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        # IPython magics (%pip) are not Python: read them as `pass`
        lines = [re.sub(r"^(\s*)%.*", r"\1pass", line) for line in cell.source.splitlines()]
        tree = ast.parse("\n".join(lines))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and getattr(node.targets[0], "id", None) in names:
                found[node.targets[0].id] = ast.literal_eval(node.value)
    return found


def test_deck07_quotes_the_rates_notebook16_stored():
    """Deck 07 quotes notebook 16's measured rates: after notebook 16 is re-run, the deck must be updated too."""
    quoted = _deck_literals(ROOT / "slides" / "07_part7_scaling_up.ipynb", {"NB16_PIPELINE", "CPU"})
    assert set(quoted) == {"NB16_PIPELINE", "CPU"}
    nb16 = nbformat.read(ROOT / "notebooks" / "16_scaling_up.ipynb", as_version=4)
    table = next("".join(out.get("text", "") for out in cell.outputs) for cell in nb16.cells
                 if cell.cell_type == "code" and "baseline (x 1.00)" in "".join(o.get("text", "") for o in cell.outputs))
    for rate in quoted["NB16_PIPELINE"].values():
        assert re.search(rf"\s{rate:,}\s", table), f"deck 07 quotes {rate:,} images/s; notebook 16 stored:\n{table}"
    for (batch, precision, jit), rate in quoted["CPU"].items():
        row = rf"model alone \(memory\)\s+{batch}\s+{precision}\s+{jit}\s+{rate:,}\s"
        assert re.search(row, table), f"deck 07 quotes batch {batch} {precision} XLA {jit}: {rate:,}; notebook 16:\n{table}"


def test_deck04_quotes_the_accuracies_notebook10_stored():
    """Deck 04 quotes notebook 10's best model (section 6): after notebook 10 is re-run, update the deck too."""
    deck = nbformat.read(ROOT / "slides" / "04_part4_residual_and_modern_blocks.ipynb", as_version=4)
    slide = next(cell.source for cell in deck.cells if cell.source.startswith("### Notebook 10's best model"))
    nb10 = nbformat.read(ROOT / "notebooks" / "10_residual_units_resnet.ipynb", as_version=4)
    printed = "".join(out.get("text", "") for cell in nb10.cells if cell.cell_type == "code" for out in cell.outputs)
    found = re.search(r"test accuracy (0\.\d{4}) on 10,000 images; (0\.\d{4}) with each image's and its mirror's", printed)
    assert found, "notebook 10's stored outputs no longer print section 6's two test accuracies"
    for value in found.groups():
        assert f"| {float(value):.2%} |" in slide, f"deck 04 should quote notebook 10's stored {float(value):.2%}"
