"""PNG plots for a run report.

matplotlib is imported inside each function so that importing the package (and
every CLI command that does not plot) stays fast and works without a display.
Every function writes `path`, closes its figure and returns the path as str.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from keras_multimodal.atomic import save_figure
from keras_multimodal.evaluation.metrics import lower_is_better

_DPI = 100


def _pyplot():
    import os
    import sys

    import matplotlib

    # Headless servers and CI have no display: Agg. A backend already chosen (pyplot in
    # use, or MPLBACKEND, which a Jupyter kernel sets to its inline backend) is left alone:
    # switching it would stop a notebook's own plots from showing after `train`.
    if "matplotlib.pyplot" not in sys.modules and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> str:
    plt = _pyplot()
    try:
        save_figure(fig, path, dpi=_DPI, bbox_inches="tight")  # atomic: a kill never leaves half a PNG
    finally:
        plt.close(fig)  # long training sessions otherwise leak figures
    return str(path)


def _as_label_names(values, labels):
    """Map values to display labels; 0..k-1 codes are taken as label indices."""
    values = pd.Series(np.asarray(values).ravel())
    names = values.astype(str)
    if names.isin(labels).all():
        return names.to_numpy()
    if pd.api.types.is_numeric_dtype(values) and values.between(0, len(labels) - 1).all():
        return np.asarray(labels, dtype=object)[values.astype(int).to_numpy()]
    return names.to_numpy()


def plot_confusion_matrix(y_true, y_pred, labels: list[str], path, title=None) -> str:
    import seaborn as sns
    from sklearn.metrics import confusion_matrix

    labels = [str(c) for c in labels]
    cm = confusion_matrix(_as_label_names(y_true, labels), _as_label_names(y_pred, labels),
                          labels=labels)
    plt = _pyplot()
    size = max(4.0, 0.6 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    sns.heatmap(cm, annot=True, fmt="d", cmap="Blues", xticklabels=labels,
                yticklabels=labels, ax=ax, cbar=True)
    ax.set_xlabel("Predicted")
    ax.set_ylabel("True")
    ax.set_title(title or "Confusion matrix")
    return _save(fig, path)


def _defined(y_true, score):
    """Curves need both classes; a single-class entry is drawn as absent."""
    y = np.asarray(y_true).astype(int).ravel()
    return y, np.asarray(score, dtype=float).ravel(), 0 < y.sum() < len(y)


def plot_roc(curves: dict, path, title=None) -> str:
    from sklearn.metrics import roc_auc_score, roc_curve

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name, (y_true, score) in curves.items():
        y, s, ok = _defined(y_true, score)
        if not ok:
            ax.plot([], [], label=f"{name} (AUC undefined: one class)")
            continue
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, label=f"{name} (AUC = {roc_auc_score(y, s):.3f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="False positive rate",
           ylabel="True positive rate", title=title or "ROC curve")
    ax.legend(loc="lower right", fontsize="small")
    return _save(fig, path)


def plot_pr(curves: dict, path, title=None) -> str:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for name, (y_true, score) in curves.items():
        y, s, ok = _defined(y_true, score)
        if not ok:
            ax.plot([], [], label=f"{name} (AP undefined: one class)")
            continue
        precision, recall, _ = precision_recall_curve(y, s)
        (line,) = ax.step(recall, precision, where="post",
                          label=f"{name} (AP = {average_precision_score(y, s):.3f})")
        # Prevalence is what a random classifier scores, so AP is read against it.
        ax.axhline(y.mean(), linestyle="--", color=line.get_color(), alpha=0.6,
                   label=f"{name} prevalence = {y.mean():.3f}")
    ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="Recall", ylabel="Precision",
           title=title or "Precision-recall curve")
    ax.legend(loc="best", fontsize="small")
    return _save(fig, path)


def _plot_pairs(ax, history, x, columns):
    """Train and val of one quantity share a colour; val is dashed."""
    colors = {}
    for col in columns:
        base = col[len("val_"):] if col.startswith("val_") else col
        kwargs = {"color": colors[base]} if base in colors else {}
        (line,) = ax.plot(x, history[col], marker=".", label=col,
                          linestyle="--" if col.startswith("val_") else "-", **kwargs)
        colors.setdefault(base, line.get_color())
    ax.xaxis.get_major_locator().set_params(integer=True)  # epochs are whole numbers
    ax.legend(fontsize="small")


def plot_training_curves(history: pd.DataFrame, path) -> str:
    numeric = [c for c in history.columns
               if c != "epoch" and pd.api.types.is_numeric_dtype(history[c])]
    losses = [c for c in numeric if c.endswith("loss")]
    others = [c for c in numeric if c not in losses]
    x = history["epoch"] if "epoch" in history.columns else np.arange(1, len(history) + 1)
    plt = _pyplot()
    n_panels = 1 + bool(others)
    fig, axes = plt.subplots(1, n_panels, figsize=(5.5 * n_panels, 4), squeeze=False)
    _plot_pairs(axes[0, 0], history, x, losses)
    axes[0, 0].set(xlabel="epoch", ylabel="loss", title="Loss")
    if others:
        _plot_pairs(axes[0, 1], history, x, others)
        axes[0, 1].set(xlabel="epoch", ylabel="value", title="Metrics")
    return _save(fig, path)


def plot_residuals(y_true, y_pred, path) -> str:
    y = np.asarray(y_true, dtype=float).ravel()
    p = np.asarray(y_pred, dtype=float).ravel()
    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    ax1.scatter(y, p, s=10, alpha=0.6)
    lo, hi = (float(min(y.min(), p.min())), float(max(y.max(), p.max()))) if len(y) else (0, 1)
    ax1.plot([lo, hi], [lo, hi], linestyle="--", color="grey")
    ax1.set(xlabel="True", ylabel="Predicted", title="Predicted vs. true")
    ax2.scatter(p, y - p, s=10, alpha=0.6)
    ax2.axhline(0, linestyle="--", color="grey")
    ax2.set(xlabel="Predicted", ylabel="Residual (true - predicted)", title="Residuals")
    return _save(fig, path)


def plot_model_comparison(table: pd.DataFrame, metric: str, path) -> str:
    lo_col, hi_col = f"{metric}_ci_lo", f"{metric}_ci_hi"
    # Best at the top: barh draws the first row at the bottom, hence the reversal.
    ranked = table.sort_values(metric, ascending=lower_is_better(metric), na_position="last")
    ranked = ranked.iloc[::-1]
    values = ranked[metric].to_numpy(float)
    errors = np.zeros((2, len(ranked)))
    if lo_col in ranked.columns and hi_col in ranked.columns:
        errors = np.vstack([values - ranked[lo_col].to_numpy(float),
                            ranked[hi_col].to_numpy(float) - values])
    errors = np.nan_to_num(np.clip(errors, 0, None))
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 1.0 + 0.5 * len(ranked)))
    ax.barh(ranked["model"].astype(str), np.nan_to_num(values), xerr=errors, capsize=4,
            color="tab:blue", alpha=0.8)
    ax.set_xlabel(f"{metric} ({'lower' if lower_is_better(metric) else 'higher'} is better)")
    ax.set_title(f"Model comparison: {metric}")
    return _save(fig, path)
