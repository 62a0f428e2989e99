"""Assembles the run report: dataset summary, plots, fused model vs. baselines."""

from pathlib import Path

import numpy as np
import pandas as pd

from keras_multimodal.evaluation import plots
from keras_multimodal.evaluation.report import write_report
from keras_multimodal.evaluation.report_sections import diagnostic_sections


def dataset_summary(spec, data, model=None):
    """Rows per split, class balance, and the fraction of rows missing each modality."""
    splits = data.frame["split"].to_numpy()
    summary = {
        "task": spec.target.task,
        "target": ", ".join(spec.target.target_columns),
        "classes": list(data.classes),
        "rows": {s: int((splits == s).sum()) for s in ("train", "val", "test")},
        "missing": {},
        "skipped_rows": data.skipped_rows,
        "dropped_missing_target": data.dropped_missing_target,
        "model": _model_text(spec),
    }
    if model is not None:
        summary["params"] = int(model.count_params())
    for name, spec_input in spec.inputs.items():
        absent = ~data.present(spec_input)
        summary["missing"][name] = {s: _fraction(absent[splits == s]) for s in ("train", "val", "test")}
    if spec.target.task in ("binary", "multiclass"):
        labels = np.asarray(data.labels).astype(int)
        summary["class_balance"] = {
            s: {c: int(((labels == i) & (splits == s)).sum()) for i, c in enumerate(data.classes)} for s in ("train", "val", "test")
        }
    return summary


def _fraction(flags):
    # None (the report shows "n/a") for an empty split: all rows of a table given to
    # `kmm evaluate --table` are test rows, and numpy warns "Mean of empty slice".
    return float(flags.mean()) if flags.size else None


def _model_text(spec):
    encoders = ", ".join(f"{n}={c.name}" for n, c in spec.model.encoders.items())
    return f"fusion={spec.model.fusion.name}; encoders: {encoders}"


def make_plots(run_dir, spec, data, predictions, history):
    """Write the report's plots under `plots/`; return {name: relative path}."""
    run_dir = Path(run_dir)
    out = {}
    task, classes = spec.target.task, list(data.classes)
    test = predictions[predictions["split"] == "test"]
    val = predictions[predictions["split"] == "val"]
    if history is not None and len(history):
        out["training_curves"] = _rel(run_dir, plots.plot_training_curves(history, run_dir / "plots" / "training_curves.png"))
    if task == "regression":
        out["residuals"] = _rel(run_dir, plots.plot_residuals(test["y_true"], test["y_pred"], run_dir / "plots" / "residuals.png"))
        return out
    if task == "multilabel":
        curves = {c: (test[f"y_true_{c}"], test[f"score_{c}"]) for c in classes}
        truth, predicted, labels = _multilabel_confusion(test, classes)
    elif task == "binary":
        curves = {"val": (val["y_true"], val["score"]), "test": (test["y_true"], test["score"])}
        truth, predicted, labels = test["y_true"].astype(int), test["y_pred"].astype(int), [0, 1]
        truth = truth.map(lambda i: classes[i])
        predicted = predicted.map(lambda i: classes[i])
        labels = classes
    else:
        curves = {c: ((test["y_true"] == c).astype(int), test[f"score_{c}"]) for c in classes}
        truth, predicted, labels = test["y_true"], test["y_pred"], classes
    out["confusion_matrix"] = _rel(run_dir, plots.plot_confusion_matrix(truth, predicted, labels, run_dir / "plots" / "confusion_matrix.png", title="Test confusion matrix"))
    out["roc"] = _rel(run_dir, plots.plot_roc(curves, run_dir / "plots" / "roc.png", title="ROC"))
    out["pr"] = _rel(run_dir, plots.plot_pr(curves, run_dir / "plots" / "pr.png", title="Precision-recall"))
    return out


def _multilabel_confusion(test, classes):
    # One (truth, prediction) pair per label and row, so the matrix reads "label present / absent".
    truth = pd.concat([test[f"y_true_{c}"].map({1: f"{c}", 0: "absent"}) for c in classes])
    predicted = pd.concat([test[f"y_pred_{c}"].map({1: f"{c}", 0: "absent"}) for c in classes])
    return truth, predicted, list(classes) + ["absent"]


def _rel(run_dir, path):
    return str(Path(path).relative_to(run_dir))


def build_report(run_dir, spec, data, metrics, predictions, baselines, model=None):
    notes = list(data.warnings)
    if data.skipped:
        notes.append(f"{data.skipped_rows} rows skipped as broken (data.on_bad_rows: skip); first: {data.skipped[0]}")
    summary = dataset_summary(spec, data, model)
    return write_run_report(run_dir, spec, data, metrics, predictions, baselines, summary, notes)


def write_run_report(run_dir, spec, data, metrics, predictions, baselines, summary, notes):
    """The report of a run folder: its history and plots, the diagnostics, and the given summary and notes.

    `build_report` (in-memory data) and the streamed runs differ only in the
    summary and notes they pass.
    """
    run_dir = Path(run_dir)
    history_path = run_dir / "history.csv"
    history = pd.read_csv(history_path) if history_path.exists() else None
    return write_report(
        run_dir,
        title=f"{spec.name}: {spec.target.task} report",
        metrics=metrics,
        summary=summary,
        baselines=baselines,
        plots=make_plots(run_dir, spec, data, predictions, history),
        history=history,
        notes=notes,
        sections=diagnostic_sections(run_dir, spec.target.task, list(data.classes), predictions, metrics),
    )
