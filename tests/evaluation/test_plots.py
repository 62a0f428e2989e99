import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from keras_multimodal.evaluation import (
    plot_confusion_matrix,
    plot_model_comparison,
    plot_pr,
    plot_residuals,
    plot_roc,
    plot_training_curves,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _assert_png(returned, expected):
    assert Path(returned) == Path(expected)
    data = Path(expected).read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 1000


@pytest.fixture
def binary_data():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    return y, np.clip(0.3 * y + 0.7 * rng.random(200), 0, 1)


def test_importing_the_package_does_not_import_matplotlib():
    import subprocess

    code = "import sys, keras_multimodal.evaluation; print('matplotlib' in sys.modules)"
    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=repo)
    assert out.stdout.strip() == "False"


def test_confusion_matrix(tmp_path, binary_data):
    y, s = binary_data
    path = tmp_path / "plots" / "confusion_matrix.png"  # parent is created
    _assert_png(plot_confusion_matrix(y, (s >= 0.5).astype(int), ["neg", "pos"], path), path)
    names = np.array(["a", "b", "c"])
    path = tmp_path / "cm3.png"
    _assert_png(plot_confusion_matrix(names[[0, 1, 2, 2]], names[[0, 2, 2, 1]], list(names),
                                      path, title="3 classes"), path)


def test_figures_are_closed(tmp_path, binary_data):
    import matplotlib.pyplot as plt

    y, s = binary_data
    before = len(plt.get_fignums())
    plot_roc({"test": (y, s)}, tmp_path / "roc.png")
    plot_pr({"test": (y, s)}, tmp_path / "pr.png")
    assert len(plt.get_fignums()) == before


def test_roc_and_pr_with_several_curves_and_a_single_class_one(tmp_path, binary_data):
    y, s = binary_data
    curves = {"val": (y[:100], s[:100]), "test": (y[100:], s[100:]),
              "one class": (np.ones(10), np.linspace(0, 1, 10))}
    _assert_png(plot_roc(curves, tmp_path / "roc.png", title="ROC"), tmp_path / "roc.png")
    _assert_png(plot_pr(curves, tmp_path / "pr.png"), tmp_path / "pr.png")


def test_training_curves(tmp_path):
    epochs = np.arange(1, 6)
    history = pd.DataFrame({"epoch": epochs, "loss": 1 / epochs, "val_loss": 1.2 / epochs,
                            "auroc": 0.5 + epochs / 20, "val_auroc": 0.5 + epochs / 25})
    path = tmp_path / "training_curves.png"
    _assert_png(plot_training_curves(history, path), path)
    only_losses = history[["epoch", "loss", "val_loss"]]
    _assert_png(plot_training_curves(only_losses, tmp_path / "losses.png"), tmp_path / "losses.png")


def test_residuals(tmp_path):
    rng = np.random.default_rng(1)
    y = rng.normal(size=100)
    path = tmp_path / "residuals.png"
    _assert_png(plot_residuals(y, y + rng.normal(scale=0.3, size=100), path), path)


def test_model_comparison(tmp_path):
    table = pd.DataFrame({"model": ["fused", "image only", "tabular only"],
                          "auroc": [0.85, 0.80, np.nan], "auroc_ci_lo": [0.80, 0.74, np.nan],
                          "auroc_ci_hi": [0.90, 0.86, np.nan]})
    path = tmp_path / "comparison.png"
    _assert_png(plot_model_comparison(table, "auroc", path), path)
    rmse = pd.DataFrame({"model": ["a", "b"], "rmse": [1.0, 2.0]})  # no CI columns
    _assert_png(plot_model_comparison(rmse, "rmse", tmp_path / "rmse.png"), tmp_path / "rmse.png")
