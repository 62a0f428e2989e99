"""The `training:` section: optimisation and run settings."""

import dataclasses

from keras_multimodal.errors import SpecError
from keras_multimodal.specs import fields

_KEYS = {"epochs", "batch_size", "learning_rate", "seed", "optimizer", "patience", "baselines", "class_weight", "modality_dropout", "reduce_lr", "tensorboard", "distribution", "mixed_precision", "jit_compile", "serving_export", "modality_contribution"}
DISTRIBUTIONS = ("none", "mirrored", "multi_worker", "data_parallel")


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """How long and how to train; `baselines` also trains one model per modality.

    `serving_export` and `modality_contribution` (default true) switch off two
    run stages that only some runs need: the SavedModel in `serving/` (still
    available later through `kmm export RUN_DIR`) and the ablation/permutation
    study of the inputs. `kmm compare` members that only feed a comparison
    table can skip both.
    """

    epochs: int = 20
    batch_size: int = 32
    learning_rate: float = 1e-3
    seed: int = 7
    optimizer: str = "adam"
    patience: int = 5
    baselines: bool = True
    class_weight: str | None = None
    modality_dropout: float = 0.0
    reduce_lr: dict | None = None
    tensorboard: bool = False
    distribution: str = "none"  # see keras_multimodal.training.distribution
    mixed_precision: bool = False
    jit_compile: str | bool = "auto"
    serving_export: bool = True
    modality_contribution: bool = True

    @classmethod
    def from_dict(cls, raw):
        field = "training"
        raw = raw or {}
        fields.check_keys(raw, _KEYS, field)
        return cls(
            epochs=fields.get(raw, "epochs", field, "int", 20, minimum=1),
            batch_size=fields.get(raw, "batch_size", field, "int", 32, minimum=1),
            learning_rate=fields.get(raw, "learning_rate", field, "float", 1e-3, minimum=1e-8, maximum=10.0),
            seed=fields.get(raw, "seed", field, "int", 7),
            optimizer=fields.choice(raw, "optimizer", field, ("adam", "adamw", "sgd", "rmsprop"), "adam"),
            patience=fields.get(raw, "patience", field, "int", 5, minimum=0),
            baselines=fields.get(raw, "baselines", field, "bool", True),
            class_weight=fields.choice(raw, "class_weight", field, ("none", "balanced"), "none"),
            modality_dropout=fields.get(raw, "modality_dropout", field, "float", 0.0, minimum=0.0, maximum=0.9),
            reduce_lr=_reduce_lr(raw),
            tensorboard=fields.get(raw, "tensorboard", field, "bool", False),
            distribution=fields.choice(raw, "distribution", field, DISTRIBUTIONS, "none"),
            mixed_precision=fields.get(raw, "mixed_precision", field, "bool", False),
            jit_compile=_jit_compile(raw),
            serving_export=fields.get(raw, "serving_export", field, "bool", True),
            modality_contribution=fields.get(raw, "modality_contribution", field, "bool", True),
        )


def _jit_compile(raw):
    """`auto` (Keras decides: XLA on JAX, off on CPU TensorFlow), `true` or `false`."""
    value = raw.get("jit_compile")
    if value is None or value == "auto":
        return "auto"
    try:
        return fields.get(raw, "jit_compile", "training", "bool")
    except SpecError as error:
        raise SpecError(error.field, error.message.replace("expected true or false", "expected auto, true or false")) from None


def _reduce_lr(raw):
    """`reduce_lr: {factor, patience, min_lr, cooldown}` or `true` for the defaults; absent = off."""
    value = raw.get("reduce_lr")
    if value is None or value is False:
        return None
    if value is True:
        value = {}
    field = "training.reduce_lr"
    value = fields.get({"reduce_lr": value}, "reduce_lr", "training", "dict")
    fields.check_keys(value, {"factor", "patience", "min_lr", "cooldown"}, field)
    return {
        "factor": fields.get(value, "factor", field, "float", 0.5, minimum=0.01, maximum=0.99),
        "patience": fields.get(value, "patience", field, "int", 2, minimum=0),
        "min_lr": fields.get(value, "min_lr", field, "float", 1e-6, minimum=0.0),
        "cooldown": fields.get(value, "cooldown", field, "int", 0, minimum=0),
    }
