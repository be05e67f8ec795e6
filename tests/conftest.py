"""Test configuration: the course's grading plugin (``--lab-file``, points, the ``lab``
fixture) lives in the package, :mod:`cnn_course.grading.plugin`; registering it here gives
the course's own tests the same options and hypothesis profile as a graded run."""

pytest_plugins = ["cnn_course.grading.plugin"]
