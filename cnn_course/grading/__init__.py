"""Grading the labs: everything that runs a lab's graded tests goes through this package.

- :mod:`cnn_course.grading.starters` -- where the labs are, and the starter generated from
  each ``solution.py``.
- :mod:`cnn_course.grading.plugin` -- the pytest plugin: the ``lab`` fixture, ``--lab-file``,
  points, ``--grade-report``, ``--lab-timeout``.
- :mod:`cnn_course.grading.runner` -- :func:`~cnn_course.grading.runner.load_module` (a file
  imported by path, registered in ``sys.modules``), and one lab's tests against one file, in a
  fresh process, collected as a :class:`~cnn_course.grading.runner.LabResult`.
- :mod:`cnn_course.grading.oracles` -- TensorFlow with the labs' signatures, for the tests, and
  ``tf`` and ``keras`` imported on first use.

Students never import this package directly: they call ``cnn_course.labs.run_tests``.
"""
