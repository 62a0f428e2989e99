"""scikit-learn's classification report and reliability (calibration) curves on test rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from keras_multimodal.evaluation.plots import _pyplot
from keras_multimodal.evaluation.plots import _save


def classification_report_text(test: pd.DataFrame, task: str, classes: list) -> str | None:
    """`sklearn.metrics.classification_report` of a predictions table (y_pred filled)."""
    from sklearn.metrics import classification_report

    if task == "regression" or test.empty:
        return None
    classes = [str(c) for c in classes]
    if task == "binary":
        y_true, y_pred, labels = test["y_true"].astype(int), test["y_pred"].astype(int), [0, 1]
    elif task == "multiclass":
        y_true, y_pred, labels = test["y_true"].astype(str), test["y_pred"].astype(str), classes
    else:
        y_true = test[[f"y_true_{c}" for c in classes]].to_numpy(int)
        y_pred = test[[f"y_pred_{c}" for c in classes]].to_numpy(int)
        labels = list(range(len(classes)))
    return classification_report(y_true, y_pred, labels=labels, target_names=classes,
                                  digits=3, zero_division=0)


def reliability_curves(test: pd.DataFrame, task: str, classes: list, n_bins: int = 10) -> dict:
    """{name: (mean predicted probability, observed fraction, rows)} per bin.

    Binary: the positive class; multiclass: each class one-vs-rest;
    multilabel: each label. Classes absent from test (or always present) are left out.
    """
    from sklearn.calibration import calibration_curve

    if task == "regression" or test.empty:
        return {}
    classes = [str(c) for c in classes]
    if task == "binary":
        pairs = {classes[-1]: (test["y_true"].astype(int), test["score"])}
    elif task == "multiclass":
        pairs = {c: ((test["y_true"].astype(str) == c).astype(int), test[f"score_{c}"]) for c in classes}
    else:
        pairs = {c: (test[f"y_true_{c}"].astype(int), test[f"score_{c}"]) for c in classes}
    out = {}
    for name, (y, score) in pairs.items():
        y, score = np.asarray(y, int), np.clip(np.asarray(score, float), 0.0, 1.0)
        if not 0 < y.sum() < len(y):
            continue
        observed, predicted = calibration_curve(y, score, n_bins=n_bins, strategy="uniform")
        # The same binning as calibration_curve, so counts line up with its points.
        bins = np.searchsorted(np.linspace(0, 1, n_bins + 1)[1:-1], score)
        counts = np.bincount(bins, minlength=n_bins)
        out[name] = (predicted, observed, counts[counts > 0])
    return out


def plot_calibration(curves: dict, path, title=None) -> str:
    """Reliability diagram: observed frequency against mean predicted probability."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    for name, (predicted, observed, _) in curves.items():
        ax.plot(predicted, observed, marker="o", label=str(name))
    ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="Mean predicted probability",
           ylabel="Observed fraction of positives", title=title or "Reliability (test)")
    ax.legend(loc="upper left", fontsize="small")
    return _save(fig, path)
