"""`evaluate_run`: re-evaluate a finished run, on its own data or on a new labelled table."""

import json
from pathlib import Path

from keras_multimodal.atomic import write_csv
from keras_multimodal.atomic import write_json
from keras_multimodal.errors import RunError
from keras_multimodal.evaluation.metrics import compute_metrics
from keras_multimodal.training.data_setup import PreparedData
from keras_multimodal.training.diagnostics import add_diagnostics
from keras_multimodal.training.predictions import predict_scores
from keras_multimodal.training.predictions import predictions_frame


def evaluate_run(run, table=None, data_root=None):
    """Recompute metrics, predictions, plots and the report of a finished run.

    Args:
        run: `keras_multimodal.Run`, or the path of a run directory.
        table: str or Path or None. A labelled table in the spec's format. None
            re-evaluates the run's own data and split into the run directory;
            otherwise every row is a test row and the results go to
            `<run>/evaluations/<table stem>/`.
        data_root: str or None. Folder that the table's image paths are
            relative to (default: the table's folder).

    Returns:
        (metrics dict, output directory).
    """
    from keras_multimodal.run import Run

    run = run if isinstance(run, Run) else Run.load(run)
    if not (run.path / "model.keras").is_file():
        raise RunError(f"{run.path} has no model.keras: finish it with `kmm train` first")
    if table is None:
        return _evaluate_own(run)
    return _evaluate_table(run, Path(table), data_root)


def _evaluate_own(run):
    from keras_multimodal.training.data_setup import prepare_data

    if run.spec.data.streaming:
        raise RunError(f"{run.path} was trained on a streamed table: its own data is evaluated by `kmm train`; "
                       "pass a labelled table to evaluate new rows")
    old = run.metrics if (run.path / "metrics.json").is_file() else {}
    prepared = prepare_data(run.spec, preprocessor=run.preprocessor)
    metrics, predictions = _predict_and_score(run, prepared, threshold=None)
    for key in ("skipped_rows", "dropped_missing_target", "baselines"):
        if key in old:
            metrics[key] = old[key]
    _finish(run, prepared, metrics, predictions, run.path, baselines=_baseline_entries(run, metrics))
    return metrics, run.path


def _evaluate_table(run, table, data_root):
    from keras_multimodal.data.readers import read_table
    from keras_multimodal.data.table import load_table

    if not table.is_file():
        raise RunError(f"{table}: no such table to evaluate on")
    run = run.with_data_root(data_root or str(table.resolve().parent))
    data = load_table(run.spec, frame=read_table(table, run.spec.data.na_values), with_target=True, preprocessor=run.preprocessor)
    data.frame["split"] = "test"
    prepared = PreparedData(data=data, preprocessor=run.preprocessor)
    # New rows are scored at the run's own threshold, chosen on its validation split.
    metrics, predictions = _predict_and_score(run, prepared, threshold=run.metrics.get("threshold"))
    directory = run.path / "evaluations" / table.stem
    directory.mkdir(parents=True, exist_ok=True)
    metrics["table"] = str(table.resolve())
    _finish(run, prepared, metrics, predictions, directory, baselines=None)
    return metrics, directory


def _predict_and_score(run, prepared, threshold):
    spec, data = run.spec, prepared.data
    scores = predict_scores(run.model, data, prepared.preprocessor)
    frame = predictions_frame(data, scores, spec.target.task, run.classes)
    groups = data.groups if spec.split.kind == "group_by" else None
    return compute_metrics(frame, spec.target.task, run.classes, seed=spec.training.seed,
                           groups=groups, threshold=threshold)


def _finish(run, prepared, metrics, predictions, directory, baselines):
    from keras_multimodal.training.report_builder import build_report

    write_csv(directory / "predictions.csv", predictions)
    add_diagnostics(run.spec, prepared, run.model, directory, metrics, reuse=False)
    write_json(directory / "metrics.json", metrics)
    build_report(directory, run.spec, prepared.data, metrics, predictions, baselines, run.model)


def _baseline_entries(run, metrics):
    """The fused-vs-baselines table as `kmm train` shows it, from the baselines' own metrics."""
    folder = run.path / "baselines"
    if not folder.is_dir():
        return None
    found = {}
    for name, spec_input in run.spec.inputs.items():
        path = folder / name / "metrics.json"
        if path.is_file():
            found[f"{spec_input.type} only ({name})"] = json.loads(path.read_text())
    if not found:
        return None
    return {f"fused ({run.spec.model.fusion.name})": metrics, **found}
