"""The seed-spread results chapter 6 glues (cnn_course/seed_spread.json, from the benchmark)."""

import math
import statistics

from cnn_course.models import error_reduction
from cnn_course.seed_spread import RESULTS


def test_summaries_follow_from_the_runs():
    runs = RESULTS["runs"]
    assert len(runs) >= 5 and len({r["seed"] for r in runs}) == len(runs)
    for key, values in (("convnet_test_acc", [r["convnet"]["test_acc"] for r in runs]),
                        ("dense_test_acc", [r["dense"]["test_acc"] for r in runs]),
                        ("error_reduction", [r["error_reduction"] for r in runs])):
        s = RESULTS[key]
        assert s["n"] == len(values) and (s["min"], s["max"]) == (min(values), max(values))
        assert math.isclose(s["mean"], statistics.fmean(values))
        assert math.isclose(s["std"], statistics.stdev(values))
    for r in runs:
        assert math.isclose(r["error_reduction"],
                            error_reduction(r["dense"]["test_acc"], r["convnet"]["test_acc"]))


def test_the_published_figures_chapter_6_quotes():
    ref = RESULTS["references"]
    assert round(error_reduction(ref["chollet_dense_acc"], ref["chollet_text_convnet_acc"]), 2) == 0.68
    assert round(error_reduction(ref["chollet_dense_acc"], ref["source_convnet_acc"]), 2) == 0.64
