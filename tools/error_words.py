"""A pytest plugin that records, for every ``pytest.raises(ValueError, match=...)`` a lab's
tests run, which graded function was called and which word its message had to name.

Used by ``tests/test_lab_docstrings.py``: run with a lab's tests against its solution
(``-p tools.error_words``), it writes the records to ``$ERROR_WORDS_OUT`` as JSON, one
``{"test", "function", "inner", "pattern"}`` per check, where ``function`` is the lab
function the test called and ``inner`` the lab's functions the error passed through.
"""

import json
import os
import sys

import pytest

_records = []
_original_raises = pytest.raises


class _Recording:
    def __init__(self, context, pattern, test):
        self.context, self.pattern, self.test = context, pattern, test

    def __enter__(self):
        return self.context.__enter__()

    def __exit__(self, kind, error, tb):
        if kind is not None and issubclass(kind, ValueError) and self.pattern is not None:
            functions = []
            while tb is not None:  # the lab's own frames, outermost first
                code = tb.tb_frame.f_code
                if os.path.basename(code.co_filename) == "solution.py":
                    functions.append(code.co_name)
                tb = tb.tb_next
            _records.append({"test": self.test, "function": functions[0] if functions else None,
                             "inner": functions[1:], "pattern": self.pattern})
        return self.context.__exit__(kind, error, tb)


def pytest_runtest_call(item):
    def raises(expected, *args, match=None, **kwargs):
        context = _original_raises(expected, *args, match=match, **kwargs)
        if args or expected is not ValueError:
            return context
        return _Recording(context, match, item.nodeid)

    pytest.raises = raises


def pytest_runtest_teardown(item):
    pytest.raises = _original_raises


def pytest_sessionfinish(session):
    out = os.environ.get("ERROR_WORDS_OUT")
    if out:
        with open(out, "w") as handle:
            json.dump(_records, handle, indent=1)
    else:  # pragma: no cover
        json.dump(_records, sys.stdout, indent=1)
