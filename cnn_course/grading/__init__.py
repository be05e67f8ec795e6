"""Grading the labs: everything that runs a lab's graded tests goes through this package.

- :mod:`cnn_course.grading.lab` -- a lab as a value (:class:`~cnn_course.grading.lab.Lab`),
  found from its files.
- :mod:`cnn_course.grading.starters` -- where the labs are, and the starter generated from
  each ``solution.py``.
- :mod:`cnn_course.grading.plugin` -- the pytest plugin: the ``lab`` fixture, ``--lab-file``,
  points, time limits, what a lab allows, ``--grade-report`` and ``--grade-progress``.
- :mod:`cnn_course.grading.runner` -- :func:`~cnn_course.grading.runner.load_module` (a file
  imported by path, registered in ``sys.modules``), and one lab's tests against one file, in a
  fresh process under limits, resumed after a hang.
- :mod:`cnn_course.grading.results` -- what a graded run returns, and its CSV, JSON,
  Gradescope and feedback forms.
- :mod:`cnn_course.grading.batch` -- a class: finding every submission, grading each, the sheet.
- :mod:`cnn_course.grading.copies` -- near-copies of the package's code, for the instructor.
- :mod:`cnn_course.grading.release` and :mod:`~cnn_course.grading.wheel` -- the students' copy
  and the Gradescope autograder (texts in ``templates/``), with the course's wheel.
- :mod:`cnn_course.grading.oracles` and :mod:`~cnn_course.grading.compare` -- for the labs'
  tests: TensorFlow with the labs' signatures (``tf`` and ``keras`` imported on first use), and
  array comparisons whose failures say where and what differed.

Students never import this package directly: they call ``cnn_course.labs.run_tests``.
"""
