"""`tune(spec)`: a resumable Keras Tuner search, then the best spec retrained into a run directory."""

import os
from pathlib import Path

from keras_multimodal.errors import RunError
from keras_multimodal.specs.loader import apply_overrides
from keras_multimodal.specs.spec import Spec
from keras_multimodal.training import run_directory

_TUNERS = {"random": "RandomSearch", "grid": "GridSearch", "hyperband": "Hyperband", "bayesian": "BayesianOptimization"}


def tune(spec, out=None, tuner=None, max_trials=None, executions_per_trial=None, verbose=0, log=print, retrain=True):
    """Search the spec's `tuning:` space, then train the best spec like `kmm train`.

    Re-running with the same `out` resumes: finished trials are kept (Keras
    Tuner's `overwrite=False`), an interrupted one re-runs from its start.
    With `KERASTUNER_TUNER_ID`/`KERASTUNER_ORACLE_IP`/`KERASTUNER_ORACLE_PORT`
    set, this process is Keras Tuner's chief (serves the oracle, then retrains
    the best) or a worker (runs trials, returns None).

    Args:
        spec: `keras_multimodal.Spec`.
        out: str or Path. Tuning folder (default `runs/<name>-tune`): `tuner/`
            (Keras Tuner state), `tuning.csv`, `tuning.md`, `best/` (a run directory).
        tuner, max_trials, executions_per_trial: override `tuning.tuner`, ... of the spec.
        verbose: int. Keras Tuner's trial display and Keras progress bars.
        retrain: bool. Train the best spec into `<out>/best`; False stops after the search.

    Returns:
        `keras_multimodal.Run` for `<out>/best` (None on a distributed worker or without `retrain`).
    """
    from keras_multimodal.training.distribution import check_distribution

    spec = _with_settings(spec, tuner, max_trials, executions_per_trial)
    # As `train` does: before any TensorFlow op (multi_worker) and before any trial starts.
    # Each trial's build and fit then run in `training_scope` (see `MultimodalHyperModel.build`).
    check_distribution(spec.training.distribution)
    out = Path(out) if out is not None else Path("runs") / f"{spec.name}-tune"
    search = _search(spec, out, verbose, log)
    if _is_worker():
        log(f"Worker {os.environ['KERASTUNER_TUNER_ID']} finished its trials ({search.hypermodel.fits} models fitted)")
        return None
    from keras_multimodal.tuning.results import write_results

    trials = write_results(search, spec, out)
    log(f"{trials} trials; results in {out / 'tuning.csv'}")
    if not retrain:
        return None
    best = search.hypermodel.spec_for(search.get_best_hyperparameters(1)[0])
    return _retrain(best, out / "best", verbose, log)


def _with_settings(spec, tuner, max_trials, executions_per_trial):
    """Command-line settings go through the spec, so they are validated and recorded like `--set`."""
    given = {"tuner": tuner, "max_trials": max_trials, "executions_per_trial": executions_per_trial}
    overrides = [(["tuning", key], value) for key, value in given.items() if value is not None]
    if not overrides:
        return spec
    return Spec.from_dict(apply_overrides(spec.raw, overrides), source=spec.source)


def _search(spec, out, verbose, log):
    import keras

    from keras_multimodal.training.data_setup import prepare_data
    from keras_multimodal.tuning.hypermodel import MultimodalHyperModel

    settings = spec.tuning
    prepared = prepare_data(spec)
    search = make_tuner(settings, MultimodalHyperModel(spec, prepared), out / "tuner", spec.name, spec.training.seed)
    callbacks = []
    if settings.patience:
        callbacks.append(keras.callbacks.EarlyStopping(monitor=settings.objective, mode=settings.direction, patience=settings.patience))
    log(f"Tuning {spec.name} with {settings.tuner} search in {out} ({settings.max_trials} trials at most)")
    search.search(epochs=settings.epochs, callbacks=callbacks, verbose=verbose)
    return search


def make_tuner(settings, hypermodel, directory, project_name, seed):
    """One of Keras Tuner's own tuners; `overwrite=False` reloads a previous search in `directory`."""
    import keras_tuner

    objective = keras_tuner.Objective(settings.objective, direction=settings.direction)
    common = dict(
        objective=objective,
        executions_per_trial=settings.executions_per_trial,
        seed=seed,
        directory=str(directory),
        project_name=project_name,
        overwrite=False,
    )
    cls = getattr(keras_tuner, _TUNERS[settings.tuner])
    if settings.tuner == "hyperband":  # Hyperband's brackets decide the trial count and epochs
        return cls(hypermodel, max_epochs=settings.epochs, factor=3, hyperband_iterations=1, **common)
    return cls(hypermodel, max_trials=settings.max_trials, **common)


def _is_worker():
    return "KERASTUNER_ORACLE_IP" in os.environ and "chief" not in os.environ.get("KERASTUNER_TUNER_ID", "")


def _retrain(spec, out, verbose, log):
    """Train the best spec into `out`; a finished run of the same spec there is kept."""
    from keras_multimodal.run import Run
    from keras_multimodal.training.trainer import train

    state = run_directory.read_run_json(out)
    if state and state.get("status") == "finished" and state.get("spec_hash") == spec.hash:
        log(f"Best model already trained in {out}")
        return Run(out)
    replace = bool(state) and state.get("spec_hash") != spec.hash
    try:
        return train(spec, out=out, overwrite=replace, verbose=verbose, log=log, command="kmm tune (best trial)")
    except RunError as error:
        raise RunError(f"{error} (the best trial's run directory)") from None
