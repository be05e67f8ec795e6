"""Chapter 6 over seeds, as measured by ``benchmarks/seed_spread.py``.

``RESULTS`` is ``seed_spread.json`` beside this module, which the benchmark writes; it ships
with the package so that chapter 6 can glue it wherever it runs (Colab has the package, not
the repository).
"""

import json
from importlib import resources

RESULTS = json.loads(resources.files(__package__).joinpath("seed_spread.json").read_text())
