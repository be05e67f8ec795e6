# Two commands do all set-up on a fresh machine:
#   make book   create .venv if needed, install, build the HTML into _build/html
#   make test   the same install, then the whole suite (ruff, tests, nbval, the book with -W,
#               the built book in a browser, every notebook alone in the readers' environment)
# For the edit-test loop: make check (ruff, the tests not marked slow, the book with -W).
#
# The suite uses every core ($(JOBS)): the unit tests test by test (pytest-xdist), nbval
# notebook by notebook (each notebook whole on one worker), and last, the book's build and
# browser test side by side with the readers' check. benchmarks/suite_timings.md has the timings.

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
# The longest first, so that no worker starts one at the end while the other idles.
LONGEST_FIRST := chapters/07_numpy_convnet.ipynb chapters/06_mnist_convnet.ipynb
NOTEBOOKS_BY_LENGTH := $(LONGEST_FIRST) $(filter-out $(LONGEST_FIRST),$(NOTEBOOKS))
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PYTEST_PARALLEL := -n $(JOBS)

.PHONY: book test check install lint wheel unit-tests notebooks-test book-strict browser-test reader-check \
	starters notebooks benchmarks clean

book: install
	$(VENV)/bin/jupyter-book build . -W -n --keep-going

# Two lanes, one per core: the unit tests (pytest-xdist) beside the readers' check, then nbval
# beside the book's build and browser test. Chapter 6, the longest notebook, takes three
# minutes in each notebook run; beside it the other lane keeps the second core busy.
# Each part's wall time goes to _build/timings/steps.txt; benchmarks/suite_timings.py reports
# them with the JUnit reports of the unit tests and nbval, and the readers' check's report.
TIMINGS := _build/timings
timed = @mkdir -p $(TIMINGS); start=$$(date +%s); $(2) || exit $$?; \
	echo "$(1) $$(( $$(date +%s) - start ))" >> $(TIMINGS)/steps.txt
# Test processes run side by side: one TensorFlow thread each, not one per core per process
# (the same results, as nbval shows; less time lost to threads spinning while they wait).
# The unit tests' graded runs also keep OpenBLAS to one thread, as chapter 7 does.
TEST_THREADS := TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1

test:
	@rm -rf $(TIMINGS)
	$(call timed,install,$(MAKE) install)
	$(call timed,lint,$(MAKE) lint)
	$(call timed,lane-pair-1,$(MAKE) -j2 --output-sync=target unit-tests reader-check)
	$(call timed,lane-pair-2,$(MAKE) -j2 --output-sync=target notebooks-test browser-test)
	@$(PYTHON) -m benchmarks.suite_timings

# The edit-test loop, a few minutes: what make test runs but the slow tests, nbval, the
# browser and the readers' check.
check: install
	$(MAKE) lint
	$(PYTHON) -m pytest tests --ignore=tests/browser -m "not slow" $(PYTEST_PARALLEL) --dist loadgroup -q
	$(MAKE) book-strict

install: $(VENV)/.installed

# pip byte-compiles every module as it installs: keep it (no --no-compile). Where
# PYTHONDONTWRITEBYTECODE is set, as on our machines, nothing is compiled later, and every
# process would compile TensorFlow's modules again on import.
$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt
	touch $@

# ruff, configured in pyproject.toml (notebooks are checked by running them, not linted).
lint: install
	$(PYTHON) -m ruff check .

# The course package's wheel, as Colab's set-up cell builds it: built once, used by the unit
# tests ($$CNN_COURSE_WHEEL) and the readers' check.
WHEEL_DIR := _build/wheel
WHEEL_SOURCES := pyproject.toml README.md LICENSE $(shell find cnn_course labs -name "*.py" -o -name "*.json" -o -name "*.tmpl")

$(WHEEL_DIR)/.built: $(WHEEL_SOURCES) | install
	rm -rf $(WHEEL_DIR)
	$(PYTHON) tools/run_alone.py --build-wheel $(WHEEL_DIR)
	touch $@

wheel: $(WHEEL_DIR)/.built

# Lab tests (against the solutions), the helper package, the lab tooling. Tests of one lab's
# grading share a worker (--dist loadgroup), so that each lab's solution is graded once.
unit-tests: install wheel
	$(call timed,unit-tests,CNN_COURSE_WHEEL="$$(ls $(abspath $(WHEEL_DIR))/cnn_course-*.whl)" $(TEST_THREADS) OPENBLAS_NUM_THREADS=1 \
		$(PYTHON) -m pytest tests --ignore=tests/browser $(PYTEST_PARALLEL) --dist loadgroup --durations=15 \
		--junitxml=$(TIMINGS)/unit.xml)

# nbval re-executes every notebook and compares each output with the committed one; each
# notebook runs whole, in one kernel, on one worker (--dist loadfile).
notebooks-test: install
	$(call timed,nbval,$(TEST_THREADS) $(PYTHON) -m pytest --nbval --nbval-current-env \
		--nbval-sanitize-with tests/sanitize.cfg --timeout=1800 $(PYTEST_PARALLEL) --dist loadfile \
		-p no:cacheprovider --junitxml=$(TIMINGS)/nbval.xml $(NOTEBOOKS_BY_LENGTH))

# A warning is a defect: the build fails on any (-W), and on any broken reference (-n).
book-strict: install
	rm -rf _build/html
	$(call timed,book-strict,$(VENV)/bin/jupyter-book build . -W -n --keep-going)

# Every page of the fresh build in Chromium (Debian's /usr/bin/chromium, or $$CHROMIUM), offline:
# no request leaves the book, no script error, math typeset, images described, no sideways
# scroll on a phone, no accessibility violation (axe-core, WCAG 2.1 A/AA, light and dark).
# Screenshots in _build/screenshots, findings in _build/browser-report.json.
browser-test: book-strict
	$(call timed,browser-test,$(PYTHON) -m pytest tests/browser --tb=short)

# The readers' way in: a separate environment from binder/requirements.txt (what Binder
# installs; no MyST-NB, no jupyter-book), and every notebook run alone in an empty folder,
# the set-up cell installing the course package as on Colab.
# See tools/run_alone.py.
READER_VENV := _build/reader-venv

$(READER_VENV)/.installed: binder/requirements.txt pyproject.toml
	rm -rf $(READER_VENV)
	python3 -m venv $(READER_VENV)
	$(READER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(call timed,reader-venv,$(READER_VENV)/bin/python -m pip install --quiet \
		-r binder/requirements.txt nbclient==0.11.0)
	touch $@

# READER_JOBS notebooks at a time: one in make test, where the unit tests share the machine.
READER_JOBS ?= 1
reader-check: $(READER_VENV)/.installed wheel
	$(call timed,reader-check,$(READER_VENV)/bin/python tools/run_alone.py --jobs $(READER_JOBS) --timeout 900 \
		--wheel $(WHEEL_DIR)/cnn_course-*.whl --report _build/reader-check.json $(NOTEBOOKS_BY_LENGTH))

# Authoring helpers, not part of the test suite.
starters: install
	$(PYTHON) -m cnn_course.labs generate

notebooks: install  ## re-execute every notebook in place, to commit fresh outputs
	for nb in $(NOTEBOOKS); do \
		$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
			--ExecutePreprocessor.timeout=1800 "$$nb" || exit 1; done

# suite_timings.py only reports the last make test's timings.
benchmarks: install
	for script in $(filter-out benchmarks/suite_timings.py benchmarks/machine.py benchmarks/__init__.py,$(wildcard benchmarks/*.py)); do \
		$(PYTHON) -m "benchmarks.$$(basename $$script .py)" || exit 1; done

clean:
	rm -rf _build .pytest_cache .hypothesis
