"""`tuning.csv` and `tuning.md`: every trial of a search, best first."""

import math

import pandas as pd

from keras_multimodal.atomic import write_csv
from keras_multimodal.atomic import write_text


def trials_frame(search, objective, direction):
    """One row per trial: id, status, score, then one column per hyperparameter."""
    rows = []
    for trial in search.oracle.trials.values():
        score = trial.score if trial.score is not None else float("nan")
        rows.append({"trial_id": trial.trial_id, "status": str(trial.status), objective: score, **_rounded(trial.hyperparameters.values)})
    frame = pd.DataFrame(rows, columns=None if rows else ["trial_id", "status", objective])
    if frame.empty:
        return frame
    ascending = direction == "min"
    return frame.sort_values([objective, "trial_id"], ascending=[ascending, True], na_position="last").reset_index(drop=True)


def _rounded(values):
    """Float hyperparameters as the spec sees them (0.3, not 0.30000000000000004)."""
    return {k: float(f"{v:.10g}") if isinstance(v, float) else v for k, v in values.items()}


def write_results(search, spec, out):
    """Write both files; return the number of trials."""
    settings = spec.tuning
    frame = trials_frame(search, settings.objective, settings.direction)
    write_csv(out / "tuning.csv", frame)
    write_text(out / "tuning.md", _markdown(frame, spec))
    return len(frame)


def _markdown(frame, spec):
    settings = spec.tuning
    finished = int((frame["status"] == "COMPLETED").sum()) if len(frame) else 0
    lines = [
        f"# Tuning: {spec.name}",
        "",
        f"- tuner: {settings.tuner}; objective: {settings.objective} ({settings.direction}); "
        f"max trials: {settings.max_trials}; executions per trial: {settings.executions_per_trial}; "
        f"epochs per trial: {settings.epochs}",
        f"- trials: {len(frame)} ({finished} completed)",
        "- the best trial's spec is retrained in `best/` (report, predictions, serving model)",
        "",
    ]
    if len(frame):
        lines += [_row(frame.columns), _row(["---"] * len(frame.columns))]
        lines += [_row(_cell(v) for v in row) for row in frame.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def _row(cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _cell(value):
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4g}"
    return value
