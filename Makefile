# Two commands do all set-up on a fresh machine:
#   make book   create .venv if needed, install, build the HTML into _build/html
#   make test   the same install, then the whole suite (ruff, tests, nbval, the book with -W,
#               the built book in a browser, every notebook alone in the readers' environment)

VENV   ?= .venv
PYTHON := $(VENV)/bin/python
# Offline machines: the local copy of MNIST beside the checkout stands in for the Keras download.
SHARED_MNIST := $(abspath ../shared/data/mnist.npz)
ifneq ($(wildcard $(SHARED_MNIST)),)
export MNIST_NPZ ?= $(SHARED_MNIST)
endif
export TF_CPP_MIN_LOG_LEVEL := 3
export PYDEVD_DISABLE_FILE_VALIDATION := 1

NOTEBOOKS := $(sort $(shell find chapters labs -name "*.ipynb" -not -path "*/.ipynb_checkpoints/*"))

.PHONY: book test install lint unit-tests notebooks-test book-strict browser-test reader-check starters notebooks benchmarks clean

book: install
	$(VENV)/bin/jupyter-book build . -W -n --keep-going

test: install lint unit-tests notebooks-test book-strict browser-test reader-check

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt
	touch $@

# ruff, configured in pyproject.toml (notebooks are checked by running them, not linted).
lint: install
	$(PYTHON) -m ruff check .

# Lab tests (against the solutions), the helper package, the lab tooling.
unit-tests: install
	$(PYTHON) -m pytest tests --ignore=tests/browser

# nbval re-executes every notebook and compares each output with the committed one.
notebooks-test: install
	$(PYTHON) -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg \
		--timeout=1800 $(NOTEBOOKS)

# A warning is a defect: the build fails on any (-W), and on any broken reference (-n).
book-strict: install
	rm -rf _build/html
	$(VENV)/bin/jupyter-book build . -W -n --keep-going

# Every page of the fresh build in Chromium (Debian's /usr/bin/chromium, or $$CHROMIUM), offline:
# no request leaves the book, no script error, math typeset, images described, no sideways
# scroll on a phone. Screenshots in _build/screenshots, findings in _build/browser-report.json.
browser-test: book-strict
	$(PYTHON) -m pytest tests/browser --tb=short

# The readers' way in: a separate environment from binder/requirements.txt (what Binder
# installs; no MyST-NB, no jupyter-book), and every notebook run alone in an empty folder,
# its set-up cell installing the course package as on Colab. See tests/run_alone.py.
READER_VENV := _build/reader-venv

$(READER_VENV)/.installed: binder/requirements.txt pyproject.toml
	rm -rf $(READER_VENV)
	python3 -m venv $(READER_VENV)
	$(READER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(READER_VENV)/bin/python -m pip install --quiet -r binder/requirements.txt nbclient==0.11.0
	touch $@

reader-check: $(READER_VENV)/.installed
	$(READER_VENV)/bin/python tests/run_alone.py --report _build/reader-check.json $(NOTEBOOKS)

# Authoring helpers, not part of the test suite.
starters: install
	$(PYTHON) -m cnn_course.labs generate

notebooks: install  ## re-execute every notebook in place, to commit fresh outputs
	for nb in $(NOTEBOOKS); do \
		$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=1800 "$$nb" || exit 1; done

benchmarks: install
	for script in benchmarks/*.py; do $(PYTHON) "$$script" || exit 1; done

clean:
	rm -rf _build .pytest_cache .hypothesis
