"""A pytest plugin that records what a lab's tests ask of its functions, to compare with the
task as the starter's docstrings write it (``tests/test_lab_docstrings.py``).

Run with a lab's tests against its solution (``-p tools.task_probe``), it writes to
``$TASK_PROBE_OUT`` a JSON object with two lists:

- ``"errors"``: every ``pytest.raises(ValueError, match=...)`` the tests ran, as
  ``{"test", "function", "inner", "pattern"}``: the lab function the test called, the lab
  functions the error passed through, and the pattern its message had to match;
- ``"dtypes"``: every call of a lab function the tests made, as ``{"function", "inputs",
  "outputs"}``: the dtypes of its array arguments by name, and of the arrays it returned
  (one array, or each array of a returned tuple).
"""

import functools
import inspect
import json
import os

import numpy as np
import pytest

_errors = []
_calls = {}
_original_raises = pytest.raises
_wrapped = set()


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
            _errors.append({"test": self.test, "function": functions[0] if functions else None,
                            "inner": functions[1:], "pattern": self.pattern})
        return self.context.__exit__(kind, error, tb)


def _dtypes(value):
    values = value if isinstance(value, tuple) else (value,)
    return [str(v.dtype) for v in values if isinstance(v, np.ndarray)]


def _record(name, function):
    signature = inspect.signature(function)

    @functools.wraps(function)
    def recorded(*args, **kwargs):
        result = function(*args, **kwargs)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return result
        inputs = {k: str(v.dtype) for k, v in bound.arguments.items() if isinstance(v, np.ndarray)}
        outputs = _dtypes(result)
        if outputs:
            key = (name, tuple(sorted(inputs.items())), tuple(outputs))
            _calls[key] = {"function": name, "inputs": inputs, "outputs": outputs}
        return result

    return recorded


def _watch(module):
    """Record every call of the module's public functions, the calls between them included."""
    if id(module) in _wrapped:
        return
    _wrapped.add(id(module))
    for name, value in list(vars(module).items()):
        if inspect.isfunction(value) and not name.startswith("_") and value.__module__ == module.__name__:
            setattr(module, name, _record(name, value))


def pytest_runtest_call(item):
    lab = getattr(item, "funcargs", {}).get("lab")
    if lab is not None:
        _watch(lab)

    def raises(expected, *args, match=None, **kwargs):
        context = _original_raises(expected, *args, match=match, **kwargs)
        if args or expected is not ValueError:
            return context
        return _Recording(context, match, item.nodeid)

    pytest.raises = raises


def pytest_runtest_teardown(item):
    pytest.raises = _original_raises


def pytest_sessionfinish(session):
    out = os.environ.get("TASK_PROBE_OUT")
    if out:
        with open(out, "w") as handle:
            json.dump({"errors": _errors, "dtypes": list(_calls.values())}, handle, indent=1)
