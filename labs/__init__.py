"""The labs, one folder each (see README.md). Installed as ``cnn_course.lab_files``, without
the solutions: see ``[tool.setuptools]`` in pyproject.toml."""
