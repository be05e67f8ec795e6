"""Every lab notebook, run against its lab's solution instead of the starter, shows only ✓.

The committed notebooks are executed against the starters (all ✗, "not implemented yet"),
which nbval reproduces; this test proves that their checks are right, i.e. that a correct
solution passes every one of them.
"""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from cnn_course import labs

ROOT = Path(__file__).resolve().parent.parent
LAB_DIRS = labs.lab_dirs(ROOT / "labs")

# Put the solution where the notebook's `import labN` will find it, before anything else runs.
USE_SOLUTION = """
import importlib.util, sys
_spec = importlib.util.spec_from_file_location({name!r}, "solution.py")
_solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_solution)
sys.modules[{name!r}] = _solution
"""


@pytest.mark.timeout(900)
@pytest.mark.parametrize("lab_dir", LAB_DIRS, ids=lambda d: d.name)
def test_lab_notebook_checks_pass_on_the_solution(lab_dir):
    name = labs.starter_path(lab_dir).stem
    notebook = nbformat.read(lab_dir / f"{lab_dir.name}.ipynb", as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(USE_SOLUTION.format(name=name)))
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(lab_dir)}}).execute()
    printed = "".join(output.get("text", "") for cell in notebook.cells
                      for output in cell.get("outputs", []) if output["output_type"] == "stream")
    assert "✓" in printed, "the notebook ran no check"
    failed = [line for line in printed.splitlines() if line.startswith("✗")]
    assert not failed, "\n".join(failed)
