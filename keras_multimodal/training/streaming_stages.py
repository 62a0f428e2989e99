"""The stages of `train` for a streamed table (`data.streaming: true`).

The same run directory as an in-memory run (preprocessing.json, model.keras,
predictions.csv for val/test, metrics.json, report, serving export), built
without holding the table: fitting and prediction read it chunk by chunk and
decoded images are cached on disk under the model's folder while it trains.
Leakage checks and modality contribution need whole splits in memory and are
not computed.
"""

import dataclasses
import shutil
from pathlib import Path

from keras_multimodal.atomic import write_csv
from keras_multimodal.atomic import write_json
from keras_multimodal.data.split import SPLITS
from keras_multimodal.training import run_directory

SKIPPED_DIAGNOSTICS = "streamed data: leakage checks and modality contribution are not computed (they need whole splits in memory)"


def train_streamed(spec, prepared, run_dir, resuming, verbose, command, log):
    """Finish `train` for a streamed `prepared` (a `PreparedData` holding `StreamingData`)."""
    import yaml

    from keras_multimodal.atomic import write_text
    from keras_multimodal.export.serving import export_serving
    from keras_multimodal.run import Run

    state = run_directory.start_run(run_dir, spec, prepared.hash, command, resuming)
    data = prepared.data
    rows = ", ".join(f"{data.rows[s]} {s}" for s in SPLITS)
    log(f"{'Resuming' if resuming else 'Training'} {spec.name} in {run_dir} ({rows} rows, streamed)")
    write_text(run_dir / "spec.yaml", yaml.safe_dump(spec.raw, sort_keys=False))
    model = fit_streamed(spec, prepared, run_dir, verbose)
    counts = {"skipped_rows": data.skipped, "dropped_missing_target": data.dropped_missing_target}
    metrics, predictions = evaluate_streamed(spec, prepared, model, run_dir, extra=counts)
    baselines = _baselines(spec, prepared, run_dir, verbose, log) if spec.training.baselines and len(spec.inputs) > 1 else {}
    if baselines:
        metrics["baselines"] = {name: {"val": m["val"], "test": m["test"]} for name, m in baselines.items()}
        write_json(run_dir / "metrics.json", metrics)
    fused = {f"fused ({spec.model.fusion.name})": metrics, **baselines} if baselines else None
    report_streamed(run_dir, spec, data, metrics, predictions, fused, model)
    if spec.training.serving_export:
        export_serving(model, prepared.preprocessor, spec, run_dir / "serving", metrics.get("threshold"))
    run_directory.finish_run(run_dir, state)
    return Run(run_dir)


def fit_streamed(spec, prepared, directory, verbose):
    """`fit_model` with decoded images cached in `<directory>/image_cache` (fresh, removed afterwards)."""
    from keras_multimodal.training.data_setup import PreparedData
    from keras_multimodal.training.fit import fit_model

    cache = Path(directory) / "image_cache"
    # A cache left by an interrupted run may be incomplete or hold another model's inputs.
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    data = dataclasses.replace(prepared.data, cache_dir=cache)
    try:
        return fit_model(spec, PreparedData(data=data, preprocessor=prepared.preprocessor), directory, verbose)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def evaluate_streamed(spec, prepared, model, directory, extra=None):
    """`evaluate_model` for streamed data: predictions of the val and test rows, metrics, files."""
    from keras_multimodal.data.streaming_pipeline import predict_streaming
    from keras_multimodal.evaluation.metrics import compute_metrics
    from keras_multimodal.training.predictions import predictions_frame

    rows, scores = predict_streaming(model, prepared.data, prepared.preprocessor)
    frame = predictions_frame(rows, scores, spec.target.task, rows.classes)
    metrics, frame = compute_metrics(frame, spec.target.task, rows.classes, seed=spec.training.seed)
    metrics.update(extra or {})
    directory = Path(directory)
    write_csv(directory / "predictions.csv", frame)
    write_json(directory / "metrics.json", metrics)
    return metrics, frame


def _baselines(spec, prepared, run_dir, verbose, log):
    """One model per modality on the same streamed rows, split and seed."""
    from keras_multimodal.training import trainer

    return trainer._baselines(spec, prepared, run_dir, verbose, log, fit=fit_streamed, evaluate=evaluate_streamed)


def streamed_summary(spec, data, model=None):
    """`report_builder.dataset_summary` from the counts of the statistics pass."""
    from keras_multimodal.training.report_builder import _model_text

    summary = {
        "task": spec.target.task,
        "target": ", ".join(spec.target.target_columns),
        "classes": list(data.classes),
        "rows": dict(data.rows),
        "missing": {n: {s: data.absent[n][s] / data.rows[s] if data.rows[s] else None for s in SPLITS} for n in spec.inputs},  # None: "n/a", as in memory
        "skipped_rows": data.skipped,
        "dropped_missing_target": data.dropped_missing_target,
        "model": _model_text(spec),
    }
    if model is not None:
        summary["params"] = int(model.count_params())
    if data.class_counts:
        summary["class_balance"] = {s: dict(zip(data.classes, data.class_counts[s])) for s in SPLITS}
    return summary


def report_streamed(run_dir, spec, data, metrics, predictions, baselines, model):
    """`report_builder.build_report` with the streamed summary; notes say what was not computed."""
    from keras_multimodal.training.report_builder import write_run_report

    notes = list(data.warnings) + [SKIPPED_DIAGNOSTICS]
    if data.skipped:
        notes.append(f"{data.skipped} rows skipped as broken (data.on_bad_rows: skip); first: {data.first_skipped}")
    summary = streamed_summary(spec, data, model)
    return write_run_report(run_dir, spec, data, metrics, predictions, baselines, summary, notes)
