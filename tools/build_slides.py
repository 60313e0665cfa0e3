"""Build the decks under slides/ to HTML that works opened from disk, with no network (`make slides`).

    python tools/build_slides.py                 # every deck -> slides/_build/NN_name.slides.html
    python tools/build_slides.py slides/01_*.ipynb --no-vendor

nbconvert's reveal.js template loads reveal.js, require.js, jQuery and MathJax from CDNs, so in
a seminar room without network a presenter would see one long page with raw LaTeX. Here:

* reveal.js, MathJax 2 (SVG output: no web fonts to load), require.js and jQuery are installed
  from the npm registry into ``slides/_build/lib/`` (not committed; ``--no-vendor`` skips the
  install when it is there already) and the HTML points at them with relative paths, so the
  whole ``slides/_build/`` folder can be copied to a USB stick;
* code is hidden: a slide shows the outputs, and the code only of cells tagged ``slide-code``
  (where the code is the point), in a small font; no ``In [n]:`` prompts;
* the Colab badge (an image on the internet) becomes a plain text link;
* slides scroll if they are ever too long (``tools/check_slides.py`` fails on any that are).

``tests/test_slides.py`` builds every deck this way (without npm) and fails on any script,
stylesheet or image that would be fetched from the network.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "slides" / "_build"
LIB = "lib/node_modules"  # relative to the built HTML
# Pinned: reveal.js 4.0.2 is the version nbconvert's reveal template is written for.
NPM_PACKAGES = ("reveal.js@4.0.2", "mathjax@2.7.9", "requirejs@2.3.8", "jquery@3.7.1")
SHOW_CODE_TAG = "slide-code"
BADGE_RE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\((?P<url>[^)\s]+)\)")
# nbconvert (7.17) imports mermaid.js from a CDN in every page; the decks draw no mermaid diagrams.
MERMAID_RE = re.compile(r"<script type=\"module\">\s*import mermaid from [^<]*</script>\s*")

CSS = """
<style>
/* course decks: outputs fill the slide, code (when shown) is small, long slides scroll */
.reveal .jp-InputPrompt, .reveal .jp-OutputPrompt { display: none; }
.reveal .jp-CodeCell .jp-InputArea pre, .reveal .highlight pre { font-size: 0.62em; line-height: 1.25; }
.reveal .jp-OutputArea-output pre { font-size: 0.55em; line-height: 1.2; white-space: pre-wrap; }
.reveal .jp-RenderedHTMLCommon table { font-size: 0.55em; }
.reveal .jp-OutputArea-output img { max-width: 100%; max-height: 600px; }
.reveal .slides section { overflow-wrap: anywhere; }
.reveal h1, .reveal h2, .reveal h3 { text-transform: none; }
</style>
"""


# reveal.js is loaded as a require.js module; make it window.Reveal too (tools/check_slides.py steps
# through the slides with it, and a presenter can use it from the browser console).
EXPOSE_REVEAL = f"""<script>require(["{LIB}/reveal.js/dist/reveal.js"], function (R) {{ window.Reveal = R; }});</script>
"""


def vendor(lib_root: Path) -> None:
    """npm-install the pinned packages into ``lib_root`` (skipped when they are all there)."""
    wanted = [lib_root / "node_modules" / p.rsplit("@", 1)[0] / "package.json" for p in NPM_PACKAGES]
    if all(p.is_file() for p in wanted):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            "make slides needs npm (Node.js) once, to fetch reveal.js and MathJax for offline decks: "
            "install Node.js (https://nodejs.org, or `apt install npm`), or build with --no-vendor "
            "and copy slides/_build/lib from a machine that has it"
        )
    lib_root.mkdir(parents=True, exist_ok=True)
    print(f"installing {', '.join(NPM_PACKAGES)} from the npm registry into {lib_root} ...")
    subprocess.run([npm, "install", "--no-audit", "--no-fund", "--no-save", "--prefix", str(lib_root),
                    *NPM_PACKAGES], check=True)


def exporter():
    """nbconvert's SlidesExporter with local libraries, hidden code and no prompts."""
    from nbconvert import SlidesExporter
    from nbconvert.preprocessors import Preprocessor

    class HideCode(Preprocessor):
        """Hide every code cell's source unless it is tagged ``slide-code``; unlink the badge."""

        def preprocess_cell(self, cell, resources, index):
            if cell.cell_type == "code" and SHOW_CODE_TAG not in cell.metadata.get("tags", []):
                cell.metadata.setdefault("transient", {})["remove_source"] = True
            if cell.cell_type == "markdown":
                cell.source = BADGE_RE.sub(lambda m: f"[Open in Colab]({m.group('url')})", cell.source)
            return cell, resources

    exp = SlidesExporter(
        reveal_url_prefix=f"{LIB}/reveal.js",
        reveal_theme="white",
        reveal_transition="none",
        reveal_scroll=True,
        reveal_width="1280",
        reveal_height="720",
        jquery_url=f"{LIB}/jquery/dist/jquery.min.js",
        require_js_url=f"{LIB}/requirejs/require.js",
        mathjax_url=f"{LIB}/mathjax/MathJax.js?config=TeX-AMS-MML_SVG",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exp.register_preprocessor(HideCode(), enabled=True)
    return exp


def build(decks: list[Path], out_dir: Path = BUILD) -> list[Path]:
    """Write ``out_dir/<deck>.slides.html`` for each deck; return the paths."""
    import nbformat

    exp = exporter()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for deck in decks:
        body, _ = exp.from_notebook_node(nbformat.read(deck, as_version=4))
        body = MERMAID_RE.sub("", body).replace("</head>", CSS + "</head>", 1)
        body = body.replace("</body>", EXPOSE_REVEAL + "</body>", 1)
        path = out_dir / f"{deck.stem}.slides.html"
        path.write_text(body, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("decks", nargs="*", type=Path, help="default: slides/*.ipynb")
    parser.add_argument("--no-vendor", action="store_true", help="do not npm-install the libraries")
    args = parser.parse_args(argv)
    decks = args.decks or sorted((ROOT / "slides").glob("*.ipynb"))
    if not args.no_vendor:
        vendor(BUILD / "lib")
    for path in build(decks):
        print(f"wrote {path.relative_to(ROOT)}")
    print(f"open them from disk (copy the whole {BUILD.relative_to(ROOT)}/ folder with its lib/); "
          "check them with `make check-slides`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
