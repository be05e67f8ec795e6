"""What the course's tests and benchmarks share, and is neither a test nor shipped to students.

- :mod:`tools.mutations` -- one-bug variants of every lab's solution, graded by
  ``tests/test_mutations.py`` and ``benchmarks/mutation_score.py``.
- :mod:`tools.run_alone` -- the readers' check (every notebook alone in an empty folder, in
  the readers' environment) and the course's wheel (``make wheel``); a script.

Import them from the repository's root (``from tools import mutations``): pytest puts the root
on the path (``pythonpath`` in ``pyproject.toml``); run the benchmarks as modules,
``python -m benchmarks.mutation_score``.
"""
