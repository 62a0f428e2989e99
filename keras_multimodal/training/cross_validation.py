"""`cross_validate(spec, folds)`: stratified (grouped) K-fold, one run directory per fold."""

from pathlib import Path

import numpy as np
import pandas as pd

from keras_multimodal.atomic import write_csv
from keras_multimodal.atomic import write_text
from keras_multimodal.errors import RunError
from keras_multimodal.training.member_runs import run_member

_METRICS = ("auroc", "auprc", "f1_macro", "accuracy", "precision_macro", "recall_macro", "brier", "mae", "rmse", "r2")


def cross_validate(spec, folds=5, out=None, verbose=0, progress=True):
    """Train the spec once per fold; write `folds.csv`, `cv.csv` and `cv.md` into `out`.

    Folds are stratified by the label (`StratifiedKFold`) or, when the spec
    splits by `group_by`, also keep groups apart (`StratifiedGroupKFold`);
    the spec's split seed shuffles them. Each fold is the test set once and
    val is carved from the other rows with the spec's val fraction. Fold `i`
    is a normal run directory `out/fold-i`, trained by
    `keras_multimodal.train`; finished folds are reused on a re-run.

    Args:
        spec: `keras_multimodal.Spec`.
        folds: int. Number of folds, at least 2.
        out: str or Path. Default `runs/<name>-cv<folds>`.
        verbose: int. Keras progress bar verbosity per fold.
        progress: bool. Show a tqdm progress bar over the folds.

    Returns:
        pandas DataFrame, one row per fold with its test metrics (the `cv.csv` table).
    """
    from tqdm.auto import tqdm

    out = Path(out) if out is not None else Path("runs") / f"{spec.name}-cv{folds}"
    splits = fold_splits(spec, folds)
    _claim_folds(out / "folds.csv", _fold_table(splits))
    rows = []
    for i, split in enumerate(tqdm(splits, desc=f"cv {spec.name}", unit="fold", disable=not progress)):
        run, _ = run_member(spec, out / f"fold-{i}", verbose=verbose, log=tqdm.write, split=split)
        rows.append(_fold_row(i, split, run))
    table = pd.DataFrame(rows)
    write_csv(out / "cv.csv", table)
    write_text(out / "cv.md", cv_markdown(table, spec, folds))
    return table


def fold_splits(spec, folds):
    """One row_id -> split Series per fold, from the spec's cleaned table."""
    from keras_multimodal.data.table import load_table
    from keras_multimodal.training.folds import make_folds

    data = load_table(spec)
    return make_folds(data, folds, spec.split.val, seed=spec.split.seed,
                      grouped=spec.split.kind == "group_by", path=spec.data.table_path)


def _claim_folds(path, folds):
    """Write `folds.csv`; a folder cross-validated with other folds is not silently reused."""
    if path.exists():
        previous = pd.read_csv(path, dtype={"row_id": str})
        if not previous.equals(folds.astype({"row_id": str})):
            raise RunError(f"{path.parent} holds a cross-validation with other folds or rows; choose another --out")
    write_csv(path, folds)


def _fold_table(splits):
    fold = pd.Series(-1, index=splits[0].index)
    for i, split in enumerate(splits):
        fold[split.to_numpy() == "test"] = i
    return pd.DataFrame({"row_id": fold.index, "test_fold": fold.to_numpy()})


def _fold_row(i, split, run):
    test = run.metrics.get("test", {})
    counts = split.value_counts()
    row = {"fold": i, **{f"n_{s}": int(counts.get(s, 0)) for s in ("train", "val", "test")}}
    row.update({m: test[m] for m in _METRICS if m in test})
    row["run_dir"] = str(run.path)
    return row


def summarize(table):
    """Mean and sample standard deviation (ddof=1) of each metric over the folds."""
    metrics = [m for m in _METRICS if m in table.columns]
    values = table[metrics].astype(float)
    return pd.DataFrame({"metric": metrics, "mean": values.mean().to_numpy(), "sd": values.std(ddof=1).to_numpy()})


def cv_markdown(table, spec, folds):
    summary = summarize(table)
    grouped = " keeping groups apart" if spec.split.kind == "group_by" else ""
    lines = [f"# Cross-validation: {spec.name}", "",
             f"{folds}-fold stratified cross-validation{grouped}; test metrics per fold, then mean ± sd (ddof=1).", "",
             "| metric | mean ± sd |", "|---|---|"]
    lines += [f"| {r.metric} | {_num(r.mean)} ± {_num(r.sd)} |" for r in summary.itertuples()]
    metrics = list(summary["metric"])
    lines += ["", "| fold | n train | n val | n test | " + " | ".join(metrics) + " |",
              "|---" * (4 + len(metrics)) + "|"]
    for r in table.to_dict("records"):
        cells = [str(r["fold"]), str(r["n_train"]), str(r["n_val"]), str(r["n_test"])] + [_num(r.get(m)) for m in metrics]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _num(value):
    return "n/a" if value is None or not np.isfinite(float(value)) else f"{float(value):.4f}"
