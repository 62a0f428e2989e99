"""The comparison table (`comparison.csv`), its Markdown view and its plot."""

import numpy as np
import pandas as pd

from keras_multimodal.atomic import _replace_with
from keras_multimodal.atomic import write_csv
from keras_multimodal.atomic import write_text
from keras_multimodal.evaluation.metrics import lower_is_better
from keras_multimodal.evaluation.metrics import main_metric
from keras_multimodal.training.paired_bootstrap import paired_difference


def _row(label, kind, run, metric):
    metrics = run.metrics
    test, val = metrics.get("test", {}), metrics.get("val", {})
    test_ci = test.get(f"{metric}_ci") or [None, None]
    val_ci = val.get(f"{metric}_ci") or [None, None]
    return {
        "model": label, "kind": kind, "metric": metric,
        metric: test.get(metric), f"{metric}_ci_lo": test_ci[0], f"{metric}_ci_hi": test_ci[1],
        f"val_{metric}": val.get(metric), f"val_{metric}_ci_lo": val_ci[0], f"val_{metric}_ci_hi": val_ci[1],
        "n_test": test.get("n"), "n_val": val.get("n"), "run_dir": str(run.path),
    }


def comparison_table(runs, task, groups=None, n_boot=1000, seed=0):
    """One row per (label, kind, Run), best first, with the paired difference to the best unimodal model.

    The reference is the unimodal model with the best *test* metric: the
    strongest single-modality competitor, so a fused model whose difference
    CI lies above 0 beats every modality alone.
    """
    metric = main_metric(task)
    table = pd.DataFrame([_row(label, kind, run, metric) for label, kind, run in runs])
    table = table.astype({c: float for c in table.columns if c.startswith((metric, f"val_{metric}"))})
    table = table.sort_values(metric, ascending=lower_is_better(metric), na_position="last", kind="mergesort")
    table = table.reset_index(drop=True)
    unimodal = table[(table["kind"] == "unimodal") & table[metric].notna()]
    table["reference"] = unimodal["model"].iloc[0] if len(unimodal) else None
    diffs = [_difference(row, unimodal, task, groups, n_boot, seed) for _, row in table.iterrows()]
    table[["diff_vs_best_unimodal", "diff_ci_lo", "diff_ci_hi", "n_paired"]] = pd.DataFrame(diffs, dtype=float)
    return table


def _difference(row, unimodal, task, groups, n_boot, seed):
    if not len(unimodal):
        return [np.nan] * 4
    reference = unimodal.iloc[0]
    a = pd.read_csv(f"{row['run_dir']}/predictions.csv")
    b = pd.read_csv(f"{reference['run_dir']}/predictions.csv")
    result = paired_difference(a, b, task, groups=groups, n_boot=n_boot, seed=seed)
    lo, hi = result["ci"]
    return [_nan(result["diff"]), _nan(lo), _nan(hi), result["n"]]


def _nan(value):
    return np.nan if value is None else float(value)


def _fmt(value, lo=None, hi=None, signed=False):
    if value is None or pd.isna(value):
        return "n/a"
    text = f"{value:+.4f}" if signed else f"{value:.4f}"
    if not (lo is None or hi is None or pd.isna(lo) or pd.isna(hi)):
        text += f" [{lo:.4f}, {hi:.4f}]"
    return text


def comparison_markdown(table, spec, n_boot=1000):
    metric = table["metric"].iloc[0]
    direction = "lower" if lower_is_better(metric) else "higher"
    reference = table["reference"].iloc[0] or "none: the spec has a single input"
    lines = [
        f"# Model comparison: {spec.name}", "",
        f"Main metric: **{metric}** ({direction} is better), test split, 95% bootstrap CIs; best first.",
        f"Difference: model − best unimodal model on test (**{reference}**), paired bootstrap over the same "
        f"test rows{' (whole groups)' if spec.split.kind == 'group_by' else ''}, {n_boot} resamples.", "",
        f"| rank | model | kind | test {metric} [95% CI] | val {metric} [95% CI] | Δ vs best unimodal [95% CI] | n test |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, row in table.iterrows():
        test = _fmt(row[metric], row[f"{metric}_ci_lo"], row[f"{metric}_ci_hi"])
        val = _fmt(row[f"val_{metric}"], row[f"val_{metric}_ci_lo"], row[f"val_{metric}_ci_hi"])
        diff = _fmt(row["diff_vs_best_unimodal"], row["diff_ci_lo"], row["diff_ci_hi"], signed=True)
        lines.append(f"| {i + 1} | {row['model']} | {row['kind']} | {test} | {val} | {diff} | {_count(row['n_test'])} |")
    return "\n".join(lines) + "\n"


def _count(value):
    return "n/a" if value is None or pd.isna(value) else str(int(value))


def write_comparison(out, table, spec, n_boot=1000):
    """`comparison.csv`, `comparison.md`, `comparison.png`, each written atomically."""
    from keras_multimodal.evaluation.plots import plot_model_comparison

    metric = table["metric"].iloc[0]
    write_csv(out / "comparison.csv", table)
    write_text(out / "comparison.md", comparison_markdown(table, spec, n_boot))
    _replace_with(out / "comparison.png", lambda tmp: plot_model_comparison(table, metric, tmp))
