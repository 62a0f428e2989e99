"""`train(spec)`: the whole job, resumable stage by stage, into a run directory."""

import json
from pathlib import Path

from keras_multimodal.atomic import write_text
from keras_multimodal.data.preprocessor import Preprocessor
from keras_multimodal.training import run_directory
from keras_multimodal.training.data_setup import prepare_data
from keras_multimodal.training.diagnostics import add_diagnostics
from keras_multimodal.training.evaluate import evaluate_model
from keras_multimodal.training.fit import fit_model


def train(spec, out=None, overwrite=False, verbose=1, command=None, log=print, split=None):
    """Train the spec's model (and its unimodal baselines), evaluate, report, export.

    Args:
        spec: `keras_multimodal.Spec` (see `keras_multimodal.load_spec`).
        out: str or Path. The run directory; default `runs/<name>` (or `-1`, `-2`...).
        overwrite: bool. Replace a finished run in `out`.
        verbose: int. Keras progress bar verbosity.
        split: pandas Series row_id -> "train"/"val"/"test" replacing the
            spec's split (how `cross_validate` trains a fold). Default None.

    Returns:
        `keras_multimodal.Run` for the finished run directory.
    """
    import yaml

    from keras_multimodal.run import Run
    from keras_multimodal.training.distribution import check_distribution

    check_distribution(spec.training.distribution)  # before any TensorFlow op (multi_worker)
    if out is not None and not overwrite and run_directory.holds_finished(out, spec):
        # The same command after a kill that landed once the run had finished: nothing is left to do.
        log(f"{out} already holds the finished run of this spec (pass --overwrite to train it again)")
        return Run(out)
    run_dir, resuming = run_directory.choose_run_dir(spec, out, overwrite)
    prepared = _prepare(spec, run_dir, resuming, split)  # data errors come before any folder is made
    run_dir.mkdir(parents=True, exist_ok=True)
    if spec.data.streaming:
        from keras_multimodal.training.streaming_stages import train_streamed

        return train_streamed(spec, prepared, run_dir, resuming, verbose, command, log)
    state = run_directory.start_run(run_dir, spec, prepared.hash, command, resuming)
    log(f"{'Resuming' if resuming else 'Training'} {spec.name} in {run_dir} ({_rows_text(prepared.data)})")
    write_text(run_dir / "spec.yaml", yaml.safe_dump(spec.raw, sort_keys=False))
    model = fit_model(spec, prepared, run_dir, verbose)
    metrics, predictions = evaluate_model(spec, prepared, model, run_dir, extra=_data_counts(prepared.data))
    add_diagnostics(spec, prepared, model, run_dir, metrics)  # leakage + modality contribution
    baselines = _baselines(spec, prepared, run_dir, verbose, log) if _wants_baselines(spec) else {}
    if baselines:
        metrics["baselines"] = {name: {"val": m["val"], "test": m["test"]} for name, m in baselines.items()}
        from keras_multimodal.atomic import write_json

        write_json(run_dir / "metrics.json", metrics)
    _report(run_dir, spec, prepared, metrics, predictions, baselines, model)
    if spec.training.serving_export:  # off: `kmm export RUN_DIR` writes it later from model.keras
        from keras_multimodal.export.serving import export_serving

        export_serving(model, prepared.preprocessor, spec, run_dir / "serving", metrics.get("threshold"))
    run_directory.finish_run(run_dir, state)
    return Run(run_dir)


def _prepare(spec, run_dir, resuming, split=None):
    """Fit preprocessing once; a resumed run reuses the saved state so the model's inputs match."""
    path = run_dir / "preprocessing.json"
    saved = Preprocessor.load(path) if resuming and path.exists() else None
    prepared = prepare_data(spec, preprocessor=saved, split=split)
    if saved is None:
        prepared.preprocessor.save(path)
    return prepared


def _rows_text(data):
    counts = data.frame["split"].value_counts()
    return ", ".join(f"{counts.get(s, 0)} {s}" for s in ("train", "val", "test")) + " rows"


def _data_counts(data):
    return {
        "skipped_rows": data.skipped_rows,
        "dropped_missing_target": data.dropped_missing_target,
    }


def _wants_baselines(spec):
    return spec.training.baselines and len(spec.inputs) > 1


def _baselines(spec, prepared, run_dir, verbose, log, fit=None, evaluate=None):
    """One model per modality on the same rows, split and seed.

    `fit`/`evaluate` default to `fit_model`/`evaluate_model`; a streamed run
    passes its own (see `streaming_stages`).
    """
    fit = fit or fit_model
    evaluate = evaluate or evaluate_model
    from keras_multimodal.training.data_setup import PreparedData

    results = {}
    for name, spec_input in spec.inputs.items():
        directory = Path(run_dir) / "baselines" / name
        label = f"{spec_input.type} only ({name})"
        done = directory / "metrics.json"
        if done.exists():
            results[label] = json.loads(done.read_text())
            continue
        log(f"Baseline: {label}")
        single = spec.with_inputs([name])
        state = {k: v for k, v in prepared.preprocessor.state.items() if k in (name, "__target__")}
        sub = PreparedData(data=prepared.data, preprocessor=Preprocessor(state))
        model = fit(single, sub, directory, verbose)
        results[label] = evaluate(single, sub, model, directory)[0]
    return results


def _report(run_dir, spec, prepared, metrics, predictions, baselines, model):
    from keras_multimodal.training.report_builder import build_report

    fused = {f"fused ({spec.model.fusion.name})": metrics, **baselines} if baselines else None
    build_report(run_dir, spec, prepared.data, metrics, predictions, fused, model)
