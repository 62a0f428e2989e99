"""Compile and fit one model for a spec, resumably, into a folder."""

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
    directory = Path(directory)
    model_path = directory / "model.keras"
    if model_path.exists():
        return keras.saving.load_model(model_path)
    training = spec.training
    keras.utils.set_random_seed(training.seed)
    with training_scope(training):  # strategy / mesh and dtype policy: see distribution.py
        model = compile_model(build_model(spec, prepared.preprocessor), spec)
        transform = FeatureTransform(prepared.preprocessor, seed=training.seed)
        data = prepared.data
        train = make_dataset(data.split("train"), transform, training.batch_size, training=True, seed=training.seed)
        val = make_dataset(data.split("val"), transform, training.batch_size)
        train, val = (shardable_batches(ds, training.distribution) for ds in (train, val))
        callbacks = _callbacks(training, directory)
        model.fit(
            train,
            validation_data=val,
            epochs=training.epochs,
            callbacks=callbacks,
            verbose=verbose,
            class_weight=_class_weight(spec, data.split("train")),
        )
    save_model(model, model_path)
    if training.distribution != "none":
        # Evaluation and export need plain variables, not mirrored or sharded ones.
        model = keras.saving.load_model(model_path)
    return model


def _callbacks(training, directory):
    """RunProgress first (history on disk before the backup), then backup, then the rest."""
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
