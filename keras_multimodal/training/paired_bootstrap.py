"""Paired bootstrap of the difference in the main metric between two models."""

import numpy as np

from keras_multimodal.evaluation.metrics import _auroc
from keras_multimodal.evaluation.metrics import _macro
from keras_multimodal.evaluation.metrics import _rmse
from keras_multimodal.evaluation.metrics import bootstrap_ci


def metric_arrays(frame, task):
    """(truth, scores) of a predictions table: indicator and score matrices, or y and y_pred."""
    if task == "regression":
        return frame["y_true"].to_numpy(float), frame["y_pred"].to_numpy(float)
    if task == "binary":
        return frame[["y_true"]].to_numpy(int), frame[["score"]].to_numpy(float)
    classes = [c[len("score_"):] for c in frame.columns if c.startswith("score_")]
    scores = frame[[f"score_{c}" for c in classes]].to_numpy(float)
    if task == "multiclass":
        truth = frame["y_true"].astype(str).to_numpy()[:, None] == np.asarray(classes)[None, :]
        return truth.astype(int), scores
    return frame[[f"y_true_{c}" for c in classes]].to_numpy(int), scores


def main_metric_fn(task, truth):
    """The main metric (`rmse`, or macro AUROC over the classes defined on `truth`)."""
    if task == "regression":
        return _rmse
    cols = [j for j in range(truth.shape[1]) if 0 < truth[:, j].sum() < len(truth)]

    def auroc(y, s):
        return _macro(_auroc, y, s, cols)

    return auroc


def paired_rows(frame_a, frame_b, split="test"):
    """The two tables' rows of one split, restricted to shared row ids, in the same order."""
    a = frame_a[frame_a["split"] == split].copy()
    b = frame_b[frame_b["split"] == split].copy()
    a["row_id"], b["row_id"] = a["row_id"].astype(str), b["row_id"].astype(str)
    shared = a["row_id"][a["row_id"].isin(set(b["row_id"]))]
    a = a.set_index("row_id").loc[shared].reset_index()
    b = b.set_index("row_id").loc[shared].reset_index()
    return a, b


def paired_difference(frame_a, frame_b, task, groups=None, n_boot=1000, seed=0):
    """metric(a) - metric(b) on the shared test rows, with a paired percentile bootstrap CI.

    Each resample draws the same rows (whole groups, given `groups`: a
    row_id -> group mapping) for both models, so the CI reflects the
    difference between the models, not the sampling noise each has alone.
    Returns `{"diff", "ci": [lo, hi], "n"}`.
    """
    a, b = paired_rows(frame_a, frame_b)
    truth, scores_a = metric_arrays(a, task)
    _, scores_b = metric_arrays(b, task)
    fn = main_metric_fn(task, truth)

    def difference(y, sa, sb):
        va, vb = fn(y, sa), fn(y, sb)
        return None if va is None or vb is None else va - vb

    row_groups = None if groups is None else a["row_id"].map(groups).to_numpy()
    diff = difference(truth, scores_a, scores_b) if len(a) else None
    ci = bootstrap_ci(difference, truth, scores_a, scores_b, n_boot=n_boot, seed=seed, groups=row_groups)
    return {"diff": diff, "ci": ci, "n": len(a)}
