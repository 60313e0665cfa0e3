"""The decks build to reveal.js HTML slides (what `make slides` does)."""

from pathlib import Path

import pytest
from nbconvert import SlidesExporter

ROOT = Path(__file__).resolve().parents[1]
DECKS = sorted((ROOT / "slides").glob("*.ipynb"))


@pytest.mark.parametrize("deck", DECKS, ids=[d.name for d in DECKS])
def test_deck_builds_to_html(deck):
    html, _ = SlidesExporter().from_filename(str(deck))
    assert "reveal" in html.lower()
    assert html.count("<section") >= 4  # several slides
    assert "data:image/png;base64" in html  # the stored figure is embedded
