# The course's commands. Each target sets up what it needs on a fresh machine that has
# only Python 3 (>= 3.10): the first run creates .venv/ and installs course_utils with
# TensorFlow and the notebook/test tools; later runs reuse it (and update it when
# pyproject.toml changes).
#
#   make lab     open JupyterLab on notebooks/
#   make test    lint + unit tests + every notebook and deck through nbval (fast profile)
#   make help    everything else

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.course-installed
EXTRAS ?= tf,dev
# JupyterLab refuses to run as root without --allow-root (containers, some cloud VMs).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
LAB_ARGS ?=
PYTEST_ARGS ?=
# Workers of the main test run (pytest-xdist); each notebook stays on one worker. More cores: TEST_WORKERS=4.
TEST_WORKERS ?= 2
NB ?=

.PHONY: help setup lab test lint unit unit-jax nb execute colab-links check-links release slides check-slides bench gpu-check new-notebook clean

help:
	@echo "make lab                     open JupyterLab on notebooks/ (sets up .venv on first use)"
	@echo "make test                    ruff + unit tests + all notebooks and decks (fast profile),"
	@echo "                             on TEST_WORKERS=2 processes, the Keras-level tests on JAX beside them"
	@echo "make lint | unit             only ruff | only the unit tests"
	@echo "make unit-jax                the Keras-level unit tests again, on the JAX backend"
	@echo "make nb NB=notebooks/X.ipynb test one notebook with nbval (fast profile)"
	@echo "make execute NB=notebooks/X.ipynb   re-run a notebook top to bottom and store its outputs"
	@echo "                             (full profile; COURSE_PROFILE=fast to try quickly)"
	@echo "make new-notebook NAME=07_lenet_alexnet_lrn TITLE='LeNet, AlexNet and LRN'"
	@echo "make colab-links             rewrite Colab badges/install lines from pyproject.toml"
	@echo "make release VERSION=0.2.0   commit + tag v0.2.0 with every Colab link at the tag (see README)"
	@echo "make slides                  build the decks to offline HTML in slides/_build/ (npm fetches reveal.js, MathJax)"
	@echo "make check-slides            step through every built deck in headless Chromium, network blocked"
	@echo "make bench                   run the benchmark scripts under benchmarks/"
	@echo "make gpu-check               train every course model briefly on this machine's accelerator"
	@echo "                             (GPU_CHECK_ARGS='--steps 300'; KERAS_BACKEND=jax works without TensorFlow)"
	@echo "make clean                   remove build outputs (keeps .venv)"

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python >= 3.10 is needed, found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "Could not create $(VENV). On Debian/Ubuntu install the venv module first:"; \
		echo "    sudo apt install python3-venv    (or use the conda route: see README.md)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $@

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	COURSE_PROFILE=fast $(BIN)/python -m pytest tests $(PYTEST_ARGS)

# Keras code must run on every backend: the tests marked `keras` run again on JAX.
UNIT_JAX = KERAS_BACKEND=jax COURSE_PROFILE=fast $(BIN)/python -m pytest -m keras tests $(PYTEST_ARGS)
unit-jax: $(STAMP)
	$(UNIT_JAX)

# The main suite runs on TEST_WORKERS processes (a notebook alone leaves a core idle much of the time:
# kernel start-up, Python, small batches); the JAX run starts first and runs beside it, its report
# printed when both have finished.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m course_utils.colab check
	@log=$$(mktemp -t unit-jax.XXXXXX); \
	echo "unit-jax: the Keras-level tests on JAX run in the background (report at the end)"; \
	$(UNIT_JAX) > "$$log" 2>&1 & jax=$$!; \
	COURSE_PROFILE=fast $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS); main=$$?; \
	wait $$jax; jaxrc=$$?; \
	echo "== unit-jax (KERAS_BACKEND=jax, -m keras), run beside the suite above:"; cat "$$log"; rm -f "$$log"; \
	if [ $$main -ne 0 ] || [ $$jaxrc -ne 0 ]; then \
		echo "make test failed: main suite exit $$main, unit-jax exit $$jaxrc"; exit 1; fi

nb: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make nb NB=notebooks/01_convolution_by_hand.ipynb"; exit 2; }
	COURSE_PROFILE=fast $(BIN)/python -m pytest $(NB) $(PYTEST_ARGS)

execute: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make execute NB=notebooks/01_convolution_by_hand.ipynb"; exit 2; }
	$(BIN)/python tools/execute_notebook.py $(NB)

new-notebook: $(STAMP)
	@test -n "$(NAME)" || { echo "usage: make new-notebook NAME=07_lenet_alexnet_lrn TITLE='...'"; exit 2; }
	$(BIN)/python tools/new_notebook.py "$(NAME)" --title "$(TITLE)"

colab-links: $(STAMP)
	$(BIN)/python -m course_utils.colab sync

check-links: $(STAMP)
	$(BIN)/python -m course_utils.colab check

release: $(STAMP)
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=0.2.0"; exit 2; }
	$(BIN)/python -m course_utils.colab release $(VERSION)

slides: $(STAMP)
	$(BIN)/python tools/build_slides.py

# Needs Debian's chromium (apt install chromium) and the `slides` extra (playwright drives that browser).
check-slides: slides
	@$(BIN)/python -c "import playwright" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[$(EXTRAS),slides]"
	$(BIN)/python tools/check_slides.py

bench: $(STAMP)
	@set -e; for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f; done

GPU_CHECK_ARGS ?=
gpu-check: $(STAMP)
	$(BIN)/python tools/gpu_check.py $(GPU_CHECK_ARGS)

clean:
	rm -rf slides/_build build *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
