"""Open every built deck in headless Chromium with the network blocked and step through it (`make check-slides`).

    python tools/check_slides.py                     # every slides/_build/*.slides.html
    python tools/check_slides.py --screenshots 3     # how many first slides to photograph per deck

For each deck, on a 1280x720 screen, it fails on

* any request that would leave the machine (everything but file:, data:, blob: is blocked and
  reported) and any local file that fails to load (a missing lib/ folder);
* any script error or console error;
* any slide whose content overflows the screen: taller than the slide (output hidden below the
  bottom) or wider (code or output cut at the right edge);
* raw ``$...$`` or ``\\(...\\)`` left in the text of a slide (MathJax did not render it);

and saves screenshots of each deck's first slides to ``slides/_build/screenshots/``.
It needs Debian's ``chromium`` (``apt install chromium``) and the ``playwright`` package (the
``slides`` extra), which drives that browser: no browser is downloaded.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "slides" / "_build"
VIEWPORT = {"width": 1280, "height": 720}
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
RAW_TEX = re.compile(r"\$[^$\n]{1,200}\$|\\\(|\\\[")

# Resolves once MathJax has typeset everything queued (at once when MathJax did not load: a failure
# the request and script-error checks report).
MATHJAX_DONE = "() => window.MathJax ? new Promise(done => MathJax.Hub.Queue(done)) : null"

# Measures the current slide in the page: what sticks out, and the text of its markdown cells.
MEASURE = """() => {
  const slide = Reveal.getCurrentSlide();
  const box = slide.getBoundingClientRect();
  const out = {tall: slide.scrollHeight - slide.clientHeight, wide: [], text: ''};
  for (const el of slide.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (el.closest('.MJX_Assistive_MathML')) continue;  // MathJax's hidden copy for screen readers
    const cut = (el.scrollWidth > el.clientWidth + 8) && getComputedStyle(el).overflowX !== 'visible';
    if (r.right > window.innerWidth + 2 || cut) {
      out.wide.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : ''));
    }
  }
  for (const md of slide.querySelectorAll('.jp-RenderedMarkdown, .text_cell_render')) {
    const clone = md.cloneNode(true);
    clone.querySelectorAll('code, pre, script, .MathJax_SVG, .MathJax_Preview').forEach(e => e.remove());
    out.text += clone.innerText + '\\n';
  }
  out.bottom = box.bottom;
  return out;
}"""


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("no Chromium found: install Debian's package (`apt install chromium`) and run again")


def check_deck(browser, html: Path, screenshots: int, shots_dir: Path) -> tuple[list[str], int]:
    problems: list[str] = []
    page = browser.new_page(viewport=VIEWPORT)
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith(LOCAL_SCHEMES):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"console error: {msg.text}"))
    page.on("requestfailed", lambda req: req.url.startswith("file:")
            and problems.append(f"could not load {req.url}"))
    page.goto(html.as_uri())
    page.wait_for_function("window.Reveal && Reveal.isReady && Reveal.isReady()", timeout=20_000)
    page.evaluate(MATHJAX_DONE)  # first typeset finished
    slides = page.evaluate("() => Reveal.getSlides().map(s => Reveal.getIndices(s))")
    for n, idx in enumerate(slides, start=1):
        page.evaluate(f"() => Reveal.slide({idx['h']}, {idx.get('v') or 0})")
        page.evaluate(MATHJAX_DONE)
        page.wait_for_timeout(150)
        m = page.evaluate(MEASURE)
        where = f"slide {n} (h={idx['h']}, v={idx.get('v') or 0})"
        if m["tall"] > 2:
            problems.append(f"{where}: content is {m['tall']} px taller than the slide (hidden below the bottom)")
        if m["wide"]:
            problems.append(f"{where}: cut at the right edge: {', '.join(sorted(set(m['wide']))[:5])}")
        raw = RAW_TEX.findall(m["text"])
        if raw:
            problems.append(f"{where}: raw LaTeX left unrendered: {raw[:3]}")
        if n <= screenshots:
            page.screenshot(path=str(shots_dir / f"{html.name.split('.')[0]}-{n:02d}.png"))
    problems += [f"request to the network (blocked): {url}" for url in outside]
    page.close()
    return [f"{html.name}: {p}" for p in problems] if problems else [], len(slides)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("decks", nargs="*", type=Path, help="default: slides/_build/*.slides.html")
    parser.add_argument("--screenshots", type=int, default=3, help="first slides to photograph per deck")
    args = parser.parse_args(argv)
    decks = args.decks or sorted(BUILD.glob("*.slides.html"))
    if not decks:
        raise SystemExit("no built decks: run `make slides` first")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit("needs the playwright package: pip install -e '.[slides]'") from None
    shots = BUILD / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    problems = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox"])
        for deck in decks:
            found, count = check_deck(browser, deck.resolve(), args.screenshots, shots)
            print(f"{deck.name}: {count} slides, {'ok' if not found else f'{len(found)} problem(s)'}")
            problems += found
        browser.close()
    for p in problems:
        print(f"  {p}", file=sys.stderr)
    print(f"screenshots in {shots.relative_to(ROOT)}/")
    print(f"check_slides: {len(decks) - len({p.split(':')[0] for p in problems})} of {len(decks)} decks ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
