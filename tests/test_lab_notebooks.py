"""Every lab notebook, run on its lab's solution instead of the starter, shows only ✓.

The committed notebooks are executed against the starters (all ✗, "not implemented yet"),
which nbval reproduces; this test proves that their checks are right, i.e. that a correct
solution passes every one of them, and their last cell ("Grade your work") gives full points.
Each notebook runs as a student's would: alone in a folder, beside a ``labN.py`` (here the
solution), which its set-up cell keeps.
"""

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from cnn_course import labs

ROOT = Path(__file__).resolve().parent.parent
LABS = labs.all_labs(ROOT / "labs")


def printed(notebook):
    """Everything the notebook's cells printed, in order."""
    return "".join(output.get("text", "") for cell in notebook.cells
                   for output in cell.get("outputs", []) if output["output_type"] == "stream")


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.name)
def test_lab_notebook_checks_pass_on_the_solution(lab, tmp_path):
    name = lab.module
    shutil.copyfile(lab.solution, tmp_path / f"{name}.py")
    notebook = nbformat.read(lab.notebook, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = printed(notebook)
    assert "✓" in text, "the notebook ran no check"
    failed = [line for line in text.splitlines() if line.startswith("✗")]
    assert not failed, "\n".join(failed)
    points = text.splitlines()[-1]
    earned, total = points.split(": ")[1].split(" points")[0].split("/")
    assert points.startswith(f"{name}: ") and earned == total, points
