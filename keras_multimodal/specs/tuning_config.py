"""The `tuning:` section: the Keras Tuner search space and how to search it."""

import dataclasses

from keras_multimodal.errors import SpecError
from keras_multimodal.specs import components
from keras_multimodal.specs import fields

_KEYS = {
    "tuner", "max_trials", "executions_per_trial", "objective", "epochs", "patience",
    "fusion", "encoders", "hidden_units", "dropout", "learning_rate", "batch_size",
}
TUNERS = ("random", "grid", "hyperband", "bayesian")
# Objective -> (direction, tasks whose compiled metrics report it).
OBJECTIVES = {
    "val_loss": ("min", ("binary", "multiclass", "multilabel", "regression")),
    "val_auc": ("max", ("binary", "multilabel")),
    "val_accuracy": ("max", ("binary", "multiclass")),
    "val_mae": ("min", ("regression",)),
}
_RANGE_KEYS = {"min", "max", "step", "sampling"}


@dataclasses.dataclass(frozen=True)
class Range:
    """A numeric search dimension: a list of `values`, or `min`..`max` with `step`/`sampling`."""

    values: tuple = ()
    min: float | None = None
    max: float | None = None
    step: float | None = None
    sampling: str = "linear"


@dataclasses.dataclass(frozen=True)
class TuningConfig:
    """What `kmm tune` searches; a search dimension set to null keeps the spec's own value."""

    tuner: str = "random"
    max_trials: int = 10
    executions_per_trial: int = 1
    objective: str = "val_loss"
    epochs: int = 5
    patience: int = 2
    fusion: tuple | None = ("concat", "late", "attention", "gated")
    encoders: dict = dataclasses.field(default_factory=dict)
    hidden_units: tuple | None = (32, 64, 128)
    dropout: Range | None = Range(min=0.0, max=0.5, step=0.1)
    learning_rate: Range | None = Range(min=1e-4, max=1e-2, sampling="log")
    batch_size: tuple | None = (16, 32, 64)

    @property
    def direction(self):
        return OBJECTIVES[self.objective][0]

    @classmethod
    def from_dict(cls, raw, inputs, task):
        field = "tuning"
        raw = raw or {}
        fields.check_keys(raw, _KEYS, field)
        default = cls()
        objective = fields.choice(raw, "objective", field, tuple(OBJECTIVES), "val_loss")
        if task not in OBJECTIVES[objective][1]:
            valid = [name for name, (_, tasks) in OBJECTIVES.items() if task in tasks]
            raise SpecError("tuning.objective", f"{objective!r} is not reported for a {task} target; valid: {', '.join(valid)}")
        return cls(
            tuner=fields.choice(raw, "tuner", field, TUNERS, "random"),
            max_trials=fields.get(raw, "max_trials", field, "int", 10, minimum=1),
            executions_per_trial=fields.get(raw, "executions_per_trial", field, "int", 1, minimum=1),
            objective=objective,
            epochs=fields.get(raw, "epochs", field, "int", 5, minimum=1),
            patience=fields.get(raw, "patience", field, "int", 2, minimum=0),
            fusion=_names(raw, "fusion", "tuning.fusion", components.FUSIONS, default.fusion),
            encoders=_encoders(raw.get("encoders"), inputs),
            hidden_units=_ints(raw, "hidden_units", default.hidden_units),
            dropout=_range(raw, "dropout", default.dropout, 0.0, 0.9),
            learning_rate=_range(raw, "learning_rate", default.learning_rate, 1e-8, 10.0),
            batch_size=_ints(raw, "batch_size", default.batch_size),
        )


def _names(raw, key, path, valid, default):
    if key in raw and raw[key] is None:
        return None  # explicitly not tuned
    names = fields.get(raw, key, "tuning", "str_list", default)
    return _check_names(names, path, valid)


def _check_names(names, path, valid):
    if not names:
        raise SpecError(path, "expected at least one name (or null to keep the spec's choice)")
    for i, name in enumerate(names):
        if name not in valid:
            raise SpecError(f"{path}[{i}]", f"unknown name {name!r}{fields.close_matches(name, valid)}; valid: {', '.join(valid)}")
    return tuple(dict.fromkeys(names))


def _encoders(raw, inputs):
    chosen = fields.read(raw, "tuning.encoders", "dict") if raw is not None else {}
    result = {}
    for name, names in chosen.items():
        path = f"tuning.encoders.{name}"
        if name not in inputs:
            raise SpecError(path, f"no such input{fields.close_matches(name, inputs)}; inputs: {', '.join(inputs)}")
        if names is None:
            continue
        valid = components.ENCODERS[inputs[name].type]
        result[str(name)] = _check_names(fields.read(names, path, "str_list"), path, valid)
    return result


def _ints(raw, key, default):
    if key in raw and raw[key] is None:
        return None
    items = fields.get(raw, key, "tuning", "list", list(default))
    if not items:
        raise SpecError(f"tuning.{key}", "expected at least one value (or null to keep the spec's value)")
    return tuple(dict.fromkeys(fields.read(v, f"tuning.{key}[{i}]", "int", minimum=1) for i, v in enumerate(items)))


def _range(raw, key, default, low, high):
    path = f"tuning.{key}"
    if key not in raw:
        return default
    value = raw[key]
    if value is None:
        return None
    if isinstance(value, list):
        if not value:
            raise SpecError(path, "expected at least one value (or null to keep the spec's value)")
        items = [fields.read(v, f"{path}[{i}]", "float", minimum=low, maximum=high) for i, v in enumerate(value)]
        return Range(values=tuple(dict.fromkeys(items)))
    fields.check_keys(value, _RANGE_KEYS, path)
    lo = fields.get(value, "min", path, "float", minimum=low, maximum=high)
    hi = fields.get(value, "max", path, "float", minimum=low, maximum=high)
    if hi <= lo:
        raise SpecError(f"{path}.max", f"expected a value > min ({lo!r}), found {hi!r}")
    sampling = fields.choice(value, "sampling", path, ("linear", "log"), "linear")
    if sampling == "log" and lo <= 0:
        raise SpecError(f"{path}.min", f"log sampling needs min > 0, found {lo!r}")
    step = fields.get(value, "step", path, "float", None, minimum=1e-12)
    if sampling == "log" and step is not None and step <= 1:
        raise SpecError(f"{path}.step", f"with log sampling the step is a factor > 1, found {step!r}")
    return Range(min=lo, max=hi, step=step, sampling=sampling)
