"""The tutorials in notebooks/: stored without outputs, and executed top to bottom.

Execution (`pytest --notebooks`) runs each notebook in a fresh python3 kernel
with cwd notebooks/ and `KMM_NOTEBOOK_SIZE=small`, fails on any cell error,
requires at least one image output (the plots are shown), and fails a notebook
slower than 90 s times `KMM_NOTEBOOK_TIME_FACTOR` (default 2.0: CI machines vary).
"""

import json
import os
import resource
import time
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
BUDGET_S = 90.0


def _ids(path):
    return path.stem


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_notebook_is_stored_without_outputs(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code, f"{path.name} has no code cells"
    dirty = [i for i, cell in enumerate(code) if cell.get("outputs") or cell.get("execution_count") is not None]
    assert not dirty, f"{path.name}: code cells {dirty} hold outputs; clear them before committing"


def _kernel_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _images(notebook):
    return [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_notebook_executes(path, tmp_path, monkeypatch, notebook_times):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    budget = BUDGET_S * float(os.environ.get("KMM_NOTEBOOK_TIME_FACTOR", "2.0"))
    # The kernel inherits this environment: the small size, and runs written under tmp_path.
    monkeypatch.setenv("KMM_NOTEBOOK_SIZE", "small")
    monkeypatch.setenv("KMM_NOTEBOOK_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=int(budget),
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    cpu, start = _kernel_cpu_seconds(), time.perf_counter()
    client.execute()  # raises CellExecutionError naming the cell on any error
    wall, cpu = time.perf_counter() - start, _kernel_cpu_seconds() - cpu
    notebook_times[path.stem] = (wall, cpu)
    assert _images(notebook), f"{path.name} showed no plot (no image/png output)"
    assert wall <= budget, f"{path.name} took {wall:.0f} s, over {budget:.0f} s (90 s x KMM_NOTEBOOK_TIME_FACTOR)"


_BACKEND_CHECK = """
import sys
from keras_multimodal.evaluation.plots import plot_confusion_matrix
plot_confusion_matrix([0, 1, 1], [0, 1, 0], ["a", "b"], sys.argv[1])
import matplotlib
print(matplotlib.get_backend())
"""


@pytest.mark.parametrize("backend,expected", [("svg", "svg"), ("", "agg")])
def test_report_plots_keep_the_kernel_backend(tmp_path, backend, expected):
    # A Jupyter kernel sets MPLBACKEND to its inline backend; `train` writing the report's
    # PNGs must not switch it to Agg, or the notebook's own plots stop showing.
    import subprocess
    import sys

    env = dict(os.environ, MPLBACKEND=backend)
    out = subprocess.run([sys.executable, "-c", _BACKEND_CHECK, str(tmp_path / "cm.png")],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip().lower() == expected
    assert (tmp_path / "cm.png").is_file()
