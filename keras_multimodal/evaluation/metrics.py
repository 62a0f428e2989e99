"""Metrics on a predictions table, with bootstrap confidence intervals.

AUROC and average precision are computed with small numpy routines rather than
scikit-learn inside the bootstrap loop: sklearn's input validation costs about a
millisecond per call, which dominates 1000 resamples x classes x splits. The
tests pin these routines to sklearn's numbers.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import accuracy_score, precision_recall_fscore_support, r2_score

from keras_multimodal.errors import DataError

TASKS = ("binary", "multiclass", "multilabel", "regression")
EVAL_SPLITS = ("val", "test")
_LOWER_IS_BETTER = frozenset({"mae", "rmse", "brier"})


def main_metric(task: str) -> str:
    """The metric used to rank models for a task."""
    return "rmse" if task == "regression" else "auroc"


def lower_is_better(metric: str) -> bool:
    return metric in _LOWER_IS_BETTER or metric.endswith("loss")


def _py(x):
    """Plain Python number so json.dumps works; NaN/inf become None."""
    if x is None:
        return None
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return int(x)
    x = float(x)
    return x if math.isfinite(x) else None


def _auroc(y, s):
    """Mann-Whitney AUROC with average ranks for ties (equals sklearn's)."""
    y = y.astype(bool)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    s_sorted = s[order]
    new_value = np.r_[True, s_sorted[1:] != s_sorted[:-1]]
    starts = np.flatnonzero(new_value)
    ends = np.r_[starts[1:], len(s)]
    ranks = np.empty(len(s))
    ranks[order] = ((starts + ends + 1) / 2.0)[np.cumsum(new_value) - 1]
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _average_precision(y, s):
    """Step-wise AP over distinct thresholds, as sklearn computes it."""
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == len(y):
        return None  # undefined together with AUROC, per the contract
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    last = np.r_[np.flatnonzero(s_sorted[1:] != s_sorted[:-1]), len(s) - 1]
    tp = np.cumsum(y_sorted)[last]
    precision = tp / (last + 1)
    recall = tp / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _macro(fn, Y, S, cols):
    """Mean of fn over the columns defined on the full split.

    A resample that loses a class in one of those columns gives None and is
    skipped, so every resample averages over the same set of classes.
    """
    values = [fn(Y[:, j], S[:, j]) for j in cols]
    if not values or any(v is None for v in values):
        return None
    return float(np.mean(values))


def _group_codes(groups, n):
    if groups is None:
        return None, 0
    codes, uniques = pd.factorize(np.asarray(groups))
    if len(codes) != n:
        raise ValueError(f"groups has {len(codes)} entries for {n} rows")
    missing = codes < 0  # a row without a group is its own group
    codes[missing] = len(uniques) + np.arange(int(missing.sum()))
    return codes, len(uniques) + int(missing.sum())


def _resample(rng, n, codes, n_groups):
    """Row indices of one bootstrap resample; a drawn group brings all its rows."""
    if codes is None:
        return rng.integers(0, n, n)
    picks = np.bincount(rng.integers(0, n_groups, n_groups), minlength=n_groups)
    return np.repeat(np.arange(n), picks[codes])


def bootstrap_ci(metric_fn, *arrays, n_boot=1000, seed=0, groups=None, alpha=0.05):
    """Percentile bootstrap CI of metric_fn(*arrays) as [lo, hi].

    With `groups`, whole groups are resampled (rows of one patient move
    together), which keeps correlated rows from making the CI too narrow.
    Resamples where the metric is undefined (None, NaN or ValueError such as
    sklearn's single-class error) are skipped; none left gives [None, None].
    """
    arrays = [np.asarray(a) for a in arrays]
    n = len(arrays[0]) if arrays else 0
    if n == 0 or n_boot <= 0:
        return [None, None]
    codes, n_groups = _group_codes(groups, n)
    rng = np.random.default_rng(seed)
    stats = []
    with warnings.catch_warnings():
        # Undefined resamples are expected and skipped; sklearn would warn on each.
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        for _ in range(n_boot):
            idx = _resample(rng, n, codes, n_groups)
            try:
                value = metric_fn(*(a[idx] for a in arrays))
            except ValueError:
                continue
            if value is not None and np.isfinite(value):
                stats.append(float(value))
    if not stats:
        return [None, None]
    lo, hi = np.percentile(stats, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return [float(lo), float(hi)]


def choose_threshold(y_true, score) -> float:
    """Threshold maximising F1 of the positive class (predict score >= t)."""
    y = np.asarray(y_true).astype(int).ravel()
    s = np.asarray(score, dtype=float).ravel()
    n_pos = int(y.sum())
    if len(y) == 0 or n_pos == 0:
        return 0.5
    order = np.argsort(-s, kind="mergesort")
    s_sorted = s[order]
    last = np.r_[np.flatnonzero(s_sorted[1:] != s_sorted[:-1]), len(s) - 1]
    tp = np.cumsum(y[order])[last]
    f1 = 2 * tp / (last + 1 + n_pos)
    k = int(np.argmax(f1))
    if k == len(last) - 1:
        return float(s_sorted[last[k]])
    # Midway to the next lower score: same predictions on val, but unseen scores
    # near a val score are not decided by which side of it they fall.
    return float((s_sorted[last[k]] + s_sorted[last[k] + 1]) / 2)


def _require(df, task, classes):
    columns = {"regression": ["y_true", "y_pred"], "binary": ["y_true", "score"],
               "multiclass": ["y_true"] + [f"score_{c}" for c in classes],
               "multilabel": [f"{p}_{c}" for p in ("y_true", "score") for c in classes]}[task]
    missing = [c for c in ["split"] + columns if c not in df.columns]
    if missing:
        raise DataError(f"missing column(s) {missing} for a {task} task", file="predictions")


def _resolve_classes(df, task, classes):
    if task == "regression":
        return []
    if classes is not None:
        if task == "binary" and len(classes) != 2:
            raise ValueError(f"binary task needs 2 classes (negative, positive), got {classes}")
        return [str(c) for c in classes]
    if task == "binary":
        return ["0", "1"]
    inferred = [c[len("score_"):] for c in df.columns if c.startswith("score_")]
    if not inferred:
        raise DataError("no score_<class> columns to infer the classes from", file="predictions")
    return inferred


def _binary_truth(y_true, classes):
    """0/1 ints; class names are accepted too (classes[1] is positive)."""
    if pd.api.types.is_numeric_dtype(y_true) or pd.api.types.is_bool_dtype(y_true):
        return y_true.astype(int).to_numpy()
    mapping = {classes[0]: 0, classes[1]: 1, "0": 0, "1": 1}
    mapped = y_true.astype(str).map(mapping)
    if mapped.isna().any():
        raise DataError(f"y_true values {sorted(set(y_true[mapped.isna()].astype(str)))} "
                        f"are not 0/1 or {classes}", file="predictions", column="y_true")
    return mapped.astype(int).to_numpy()


def _fill_predictions(df, task, classes, threshold):
    """Append y_pred column(s) last, replacing any given ones (classification)."""
    if task == "regression":
        return df
    df = df.drop(columns=[c for c in df.columns if c == "y_pred" or c.startswith("y_pred_")])
    if task == "binary":
        df["y_pred"] = (df["score"].to_numpy(float) >= threshold).astype(int)
    elif task == "multiclass":
        scores = df[[f"score_{c}" for c in classes]].to_numpy(float)
        df["y_pred"] = np.asarray(classes, dtype=object)[scores.argmax(axis=1)]
    else:
        for c in classes:
            df[f"y_pred_{c}"] = (df[f"score_{c}"].to_numpy(float) >= 0.5).astype(int)
    return df


def _arrays(sub, task, classes):
    """(Y indicator matrix, score matrix, y_true, y_pred, sklearn labels)."""
    if task == "binary":
        y = _binary_truth(sub["y_true"], classes)
        return y[:, None], sub[["score"]].to_numpy(float), y, sub["y_pred"].to_numpy(int), [0, 1]
    scores = sub[[f"score_{c}" for c in classes]].to_numpy(float)
    if task == "multiclass":
        y = sub["y_true"].astype(str).to_numpy()
        unknown = sorted(set(y) - set(classes))
        if unknown:
            raise DataError(f"y_true values {unknown} are not among classes {classes}",
                            file="predictions", column="y_true")
        Y = (y[:, None] == np.asarray(classes)[None, :]).astype(int)
        return Y, scores, y, sub["y_pred"].astype(str).to_numpy(), classes
    Y = sub[[f"y_true_{c}" for c in classes]].to_numpy(int)
    return Y, scores, Y, sub[[f"y_pred_{c}" for c in classes]].to_numpy(int), None


def _empty_split(task):
    """Same keys as a filled split, so reports need no special case."""
    if task == "regression":
        return {"mae": None, "rmse": None, "r2": None, "n": 0,
                "mae_ci": [None, None], "rmse_ci": [None, None]}
    names = ["auroc", "auprc", "f1_macro", "accuracy", "precision_macro", "recall_macro"]
    out = dict.fromkeys(names + (["brier"] if task == "binary" else []))
    out.update(n=0, auroc_ci=[None, None], auprc_ci=[None, None], per_class={})
    return out


def _classification_metrics(sub, task, classes, boot):
    Y, S, y_true, y_pred, labels = _arrays(sub, task, classes)
    n = len(sub)
    if np.isnan(S).any():
        raise DataError("score columns contain missing values", file="predictions")
    cols = [j for j in range(Y.shape[1]) if 0 < Y[:, j].sum() < n]
    out = {}
    for name, fn in (("auroc", _auroc), ("auprc", _average_precision)):
        def metric(Yb, Sb, fn=fn):
            return _macro(fn, Yb, Sb, cols)
        out[name] = metric(Y, S)
        undefined = out[name] is None
        out[f"{name}_ci"] = [None, None] if undefined else bootstrap_ci(metric, Y, S, **boot)
    p, r, f, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=None, zero_division=0)
    out.update(f1_macro=_py(np.mean(f)), accuracy=_py(accuracy_score(y_true, y_pred)), n=n,
               precision_macro=_py(np.mean(p)), recall_macro=_py(np.mean(r)))
    if task == "binary":
        out["brier"] = _py(np.mean((S[:, 0] - Y[:, 0]) ** 2))
    out["per_class"] = {c: {"precision": _py(p[i]), "recall": _py(r[i]), "f1": _py(f[i]),
                            "support": int(support[i])} for i, c in enumerate(classes)}
    return out


def _mae(y, p):
    return float(np.mean(np.abs(y - p)))


def _rmse(y, p):
    return float(np.sqrt(np.mean((y - p) ** 2)))


def _regression_metrics(sub, boot):
    y = sub["y_true"].to_numpy(float)
    p = sub["y_pred"].to_numpy(float)
    return {"mae": _mae(y, p), "rmse": _rmse(y, p),
            "r2": _py(r2_score(y, p)) if len(y) >= 2 else None, "n": len(y),
            "mae_ci": bootstrap_ci(_mae, y, p, **boot),
            "rmse_ci": bootstrap_ci(_rmse, y, p, **boot)}


def _align_groups(groups, df):
    if groups is None:
        return None
    if isinstance(groups, pd.Series):
        return groups.reindex(df.index).to_numpy()
    return pd.Series(np.asarray(groups), index=df.index).to_numpy()


def compute_metrics(predictions: pd.DataFrame, task: str, classes: list[str] | None, *,
                    n_boot: int = 1000, seed: int = 0,
                    groups: pd.Series | None = None,
                    threshold: float | None = None) -> tuple[dict, pd.DataFrame]:
    """Return (metrics, predictions_with_y_pred); see the package docs for the layout.

    The binary threshold is tuned on val only so test numbers stay honest; a
    given `threshold` (a finished run's, for new labelled tables) is used as is.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    classes = _resolve_classes(predictions, task, classes)
    _require(predictions, task, classes)
    if task != "binary":
        threshold = None
    elif threshold is None:
        val = (predictions["split"] == "val").to_numpy()
        y_val = _binary_truth(predictions.loc[val, "y_true"], classes)
        threshold = choose_threshold(y_val, predictions.loc[val, "score"]) if val.any() else 0.5
    df = _fill_predictions(predictions.copy(), task, classes, threshold)
    group_values = _align_groups(groups, df)
    metrics = {}
    for split in EVAL_SPLITS:
        mask = (df["split"] == split).to_numpy()
        boot = {"n_boot": n_boot, "seed": seed,
                "groups": None if group_values is None else group_values[mask]}
        if not mask.any():
            metrics[split] = _empty_split(task)
        elif task == "regression":
            metrics[split] = _regression_metrics(df[mask], boot)
        else:
            metrics[split] = _classification_metrics(df[mask], task, classes, boot)
    metrics["threshold"] = threshold
    return metrics, df
