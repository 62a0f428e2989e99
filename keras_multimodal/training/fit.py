"""Compile and fit one model for a spec, resumably, into a folder."""

import contextlib
from pathlib import Path

import keras
import numpy as np

from keras_multimodal.data.feature_transform import FeatureTransform
from keras_multimodal.data.pipeline import make_dataset
from keras_multimodal.models.builder import build_model
from keras_multimodal.atomic import save_model
from keras_multimodal.training.distribution import compile_options
from keras_multimodal.training.distribution import shardable_batches
from keras_multimodal.training.distribution import training_scope
from keras_multimodal.training.atomic_backup import AtomicBackupAndRestore
from keras_multimodal.training.run_progress import RunProgress

_LOSSES = {
    "binary": "binary_crossentropy",
    "multiclass": "sparse_categorical_crossentropy",
    "multilabel": "binary_crossentropy",
    "regression": "mse",
}


def compile_model(model, spec):
    optimizers = {
        "adam": keras.optimizers.Adam,
        "adamw": keras.optimizers.AdamW,
        "sgd": keras.optimizers.SGD,
        "rmsprop": keras.optimizers.RMSprop,
    }
    task = spec.target.task
    metrics = {"binary": [keras.metrics.AUC(name="auc"), "accuracy"], "multiclass": ["accuracy"], "multilabel": [keras.metrics.AUC(name="auc", multi_label=True)], "regression": ["mae"]}[task]
    model.compile(
        optimizer=optimizers[spec.training.optimizer](learning_rate=spec.training.learning_rate),
        loss=_LOSSES[task],
        metrics=metrics,
        **compile_options(spec.training),
    )
    return model


def fit_model(spec, prepared, directory, verbose=1):
    """Train (or resume training) and save `directory/model.keras`; return the model."""
    training = spec.training

    def prepare():
        model = compile_model(build_model(spec, prepared.preprocessor), spec)
        transform = FeatureTransform(prepared.preprocessor, seed=training.seed)
        data = prepared.data
        train = make_dataset(data.split("train"), transform, training.batch_size, training=True, seed=training.seed)
        val = make_dataset(data.split("val"), transform, training.batch_size)
        train, val = (shardable_batches(ds, training.distribution) for ds in (train, val))
        # shuffle=False: make_dataset already reshuffles every epoch (Keras warns that it ignores shuffle=True).
        return model, {"x": train, "validation_data": val, "shuffle": False, "class_weight": _class_weight(spec, data.split("train"))}

    # strategy / mesh and dtype policy: see distribution.py. After a distributed fit,
    # evaluation and export need plain variables, not mirrored or sharded ones.
    reload = training.distribution != "none"
    return fit_or_load(directory, training, prepare, verbose, scope=training_scope(training), reload=reload)


def fit_or_load(directory, training, prepare, verbose=1, scope=None, reload=False):
    """Load `directory/model.keras` if it exists; otherwise fit a new model, resumably, and save it there.

    Args:
        directory: str or Path. The run folder (progress, backup, `model.keras`).
        training: the spec's `training:` section (seed, epochs, callbacks' settings).
        prepare: callable, run after seeding inside `scope`, returning `(model,
            fit_kwargs)`: a compiled model and the data arguments of
            `model.fit` (`x`, `validation_data`, ...).
        verbose: int. Passed to `model.fit`.
        scope: context manager around prepare and fit; none by default.
        reload: bool. Return the model loaded back from `model.keras`
            rather than the fitted object.

    Returns:
        The fitted (or loaded) model.
    """
    model_path = Path(directory) / "model.keras"
    if model_path.exists():
        return keras.saving.load_model(model_path)
    keras.utils.set_random_seed(training.seed)
    with scope if scope is not None else contextlib.nullcontext():
        model, fit_kwargs = prepare()
        callbacks = run_callbacks(training, directory)
        model.fit(epochs=training.epochs, callbacks=callbacks, verbose=verbose, **fit_kwargs)
    save_model(model, model_path)
    return keras.saving.load_model(model_path) if reload else model


def run_callbacks(training, directory):
    """RunProgress first (history on disk before the backup), then backup, then the rest."""
    directory = Path(directory)
    stopper = reducer = None
    if training.patience:
        stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=training.patience)
    if training.reduce_lr:
        reducer = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", **training.reduce_lr)
    callbacks = [
        RunProgress(directory, early_stopping=stopper, reduce_lr=reducer),
        AtomicBackupAndRestore(str(directory / "backup")),
    ]
    callbacks += [c for c in (stopper, reducer) if c is not None]
    if training.tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(directory / "tensorboard")))
    return callbacks


def _class_weight(spec, train):
    if spec.training.class_weight != "balanced" or spec.target.task not in ("binary", "multiclass"):
        return None
    if getattr(train, "class_counts", None) is not None:  # streamed: counted in the statistics pass
        counts = np.asarray(train.class_counts["train"], dtype=float)
    else:
        counts = np.bincount(np.asarray(train.labels).astype(int), minlength=len(train.classes)).astype(float)
    total = counts.sum()
    counts[counts == 0] = 1.0
    weights = total / (len(counts) * counts)
    return {i: float(w) for i, w in enumerate(weights)}
