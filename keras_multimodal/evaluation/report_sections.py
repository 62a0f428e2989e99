"""Report sections beyond the headline metrics: classification report, calibration,
leakage and modality contribution, as `write_report` blocks (plots written here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from keras_multimodal.evaluation.calibration import classification_report_text
from keras_multimodal.evaluation.calibration import plot_calibration
from keras_multimodal.evaluation.calibration import reliability_curves
from keras_multimodal.evaluation.plots import _pyplot
from keras_multimodal.evaluation.plots import _save


def diagnostic_sections(run_dir, task, classes, predictions, metrics) -> list:
    """Blocks for report.md/html; writes plots/calibration.png and plots/modality_contribution.png."""
    run_dir = Path(run_dir)
    test = predictions[predictions["split"] == "test"]
    blocks = []
    text = classification_report_text(test, task, classes)
    if text is not None:
        blocks += [("h2", "Classification report (test)"), ("pre", text)]
    if task != "regression":
        blocks += _calibration_blocks(run_dir, test, task, classes, metrics)
    blocks += leakage_blocks(metrics.get("leakage"))
    blocks += _contribution_blocks(run_dir, metrics.get("modality_contribution"))
    return blocks


def _calibration_blocks(run_dir, test, task, classes, metrics) -> list:
    blocks = [("h2", "Calibration")]
    brier = (metrics.get("test") or {}).get("brier")
    if brier is not None:
        blocks.append(("p", f"Brier score on test: {brier:.4f} (lower is better)."))
    curves = reliability_curves(test, task, classes)
    if not curves:
        return blocks + [("p", "No reliability curve: test lacks one of the classes.")]
    what = "positive class" if task == "binary" else "each class one-vs-rest"
    path = plot_calibration(curves, run_dir / "plots" / "calibration.png",
                            title=f"Reliability on test ({what})")
    return blocks + [("img", "Reliability diagram", str(Path(path).relative_to(run_dir)))]


def leakage_blocks(leakage) -> list:
    if not leakage:
        return []
    rows = [[kind, "yes" if found["checked"] else "no (not applicable)", found["n_shared"],
             found["n_rows"]] for kind, found in leakage.items() if kind != "warnings"]
    blocks = [("h2", "Leakage checks"),
              ("p", "Identical image files (sha1 of the bytes), identical texts (after strip and "
                    "lower-casing) and groups found in more than one split."),
              ("table", ["check", "run", "values in >1 split", "rows"], rows)]
    warnings = leakage.get("warnings") or []
    blocks.append(("ul", [f"WARNING {w}" for w in warnings] or ["no leakage found"]))
    return blocks


def _contribution_blocks(run_dir, contribution) -> list:
    if not contribution:
        return []
    metric = contribution["metric"]
    rows = []
    for name, removed in contribution["removed"].items():
        perm = contribution["permutation"][name]
        rows.append([name, _num(removed["metric"]), _num(removed["drop"]),
                     f"{_num(perm['mean_drop'])} ± {_num(perm['sd_drop'])}"])
    path = plot_modality_contribution(contribution, run_dir / "plots" / "modality_contribution.png")
    return [("h2", "Modality contribution"),
            ("p", f"Test {metric} of the full model: {_num(contribution['base'])}. 'Removed': every "
                  f"test row with that input masked as absent. 'Permutation': that input's columns "
                  f"shuffled across test rows ({contribution['n_repeats']} repeats, seed "
                  f"{contribution['seed']}). Drop = how much worse {metric} gets (positive = the "
                  "model relies on the input)."),
            ("table", ["input", f"{metric} removed", "drop (removed)", "drop (permutation, mean ± sd)"], rows),
            ("img", "Modality contribution", str(Path(path).relative_to(run_dir)))]


def _num(value) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def plot_modality_contribution(contribution: dict, path) -> str:
    """Bars per input: metric drop when removed, and permutation drop (mean ± sd)."""
    names = list(contribution["removed"])
    removed = np.array([_nan(contribution["removed"][n]["drop"]) for n in names])
    mean = np.array([_nan(contribution["permutation"][n]["mean_drop"]) for n in names])
    sd = np.array([_nan(contribution["permutation"][n]["sd_drop"]) for n in names])
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 1.5 + 0.6 * len(names)))
    y = np.arange(len(names))
    ax.barh(y - 0.2, np.nan_to_num(removed), height=0.4, label="removed (masked as absent)")
    ax.barh(y + 0.2, np.nan_to_num(mean), height=0.4, xerr=np.nan_to_num(sd), capsize=3,
            label="permuted (mean ± sd)")
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_yticks(y, names)
    ax.set_xlabel(f"drop in test {contribution['metric']} (higher = more important)")
    ax.set_title("Modality contribution")
    ax.legend(loc="best", fontsize="small")
    return _save(fig, path)


def _nan(value):
    return np.nan if value is None else float(value)
