"""`MultimodalHyperModel`: a spec's `tuning:` space as a Keras Tuner HyperModel."""

import keras

from keras_multimodal.data.feature_transform import FeatureTransform
from keras_multimodal.data.pipeline import make_dataset
from keras_multimodal.data.preprocessor import Preprocessor
from keras_multimodal.models.builder import build_model
from keras_multimodal.specs.loader import apply_overrides
from keras_multimodal.specs.spec import Spec
from keras_multimodal.training.distribution import shardable_batches
from keras_multimodal.training.distribution import training_scope
from keras_multimodal.training.fit import _class_weight
from keras_multimodal.training.fit import compile_model


def __getattr__(name):
    """`MultimodalHyperModel` subclasses `keras_tuner.HyperModel`, defined on first use.

    Keras Tuner is imported only when a search starts, never by importing the
    package (the CLI's start-up and `tests/test_public_api.py` check this).
    """
    if name != "MultimodalHyperModel":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import keras_tuner

    cls = type(name, (HyperModelMethods, keras_tuner.HyperModel), {"__module__": __name__, "__doc__": HyperModelMethods.__doc__})
    globals()[name] = cls
    return cls


class HyperModelMethods:
    """The methods of `MultimodalHyperModel(keras_tuner.HyperModel)`.

    Turns each trial's hyperparameters into a concrete, re-validated spec.

    Hyperparameter names are the dotted spec keys they set (`model.fusion`,
    `model.encoders.note`, `training.batch_size`, ...), scoped by spec section,
    so a trial is exactly a set of `--set` overrides and `build_model` stays
    the single place where a spec becomes a model.

    Args:
        spec: `keras_multimodal.Spec` with its `tuning:` section.
        prepared: `PreparedData` from `prepare_data(spec)` (rows, split, preprocessing),
            shared by all trials.
    """

    def __init__(self, spec, prepared):
        super().__init__(name=spec.name, tunable=True)
        self.spec = spec
        self.prepared = prepared
        self._preprocessors = {_preprocessing_key(spec): prepared.preprocessor}
        self.fits = 0  # models fitted by this process (a distributed worker reports it)

    def choices(self, hp):
        """Declare the search space on `hp`; return {dotted spec key: chosen value}."""
        space = self.spec.tuning
        chosen = {}
        if space.fusion:
            chosen["model.fusion"] = hp.Choice("model.fusion", list(space.fusion))
        for name, names in space.encoders.items():
            chosen[f"model.encoders.{name}"] = hp.Choice(f"model.encoders.{name}", list(names))
        if space.hidden_units:
            chosen["model.hidden_units"] = hp.Choice("model.hidden_units", list(space.hidden_units))
        if space.dropout:
            chosen["model.dropout"] = round(_numeric(hp, "model.dropout", space.dropout), 10)
        if space.learning_rate:
            chosen["training.learning_rate"] = float(f"{_numeric(hp, 'training.learning_rate', space.learning_rate):.6g}")
        if space.batch_size:
            chosen["training.batch_size"] = hp.Choice("training.batch_size", list(space.batch_size))
        return chosen

    def spec_for(self, hp):
        """The spec with this trial's choices applied, validated like any spec."""
        raw = self.spec.raw
        overrides = []
        for key, value in self.choices(hp).items():
            if key.startswith("model.encoders.") and _current_encoder(self.spec, key) == value:
                continue  # same encoder: keep the spec's own options for it
            overrides.append((key.split("."), value))
        return Spec.from_dict(apply_overrides(raw, overrides), source=self.spec.source)

    def preprocessor_for(self, spec):
        """Preprocessing depends on the encoders only for BERT (WordPiece); fit it once per variant."""
        key = _preprocessing_key(spec)
        if key not in self._preprocessors:
            self._preprocessors[key] = Preprocessor.fit(spec, self.prepared.data.split("train"))
        return self._preprocessors[key]

    def build(self, hp):
        """The trial's model, built and compiled as `kmm train` builds it (`training_scope`).

        The scope is entered here, not around the whole search: Keras Tuner
        calls `keras.backend.clear_session()` before every build, which resets
        the global dtype policy and distribution, and `get_best_models` calls
        `build` outside the search. The previous policy is restored on exit.
        """
        spec = self.spec_for(hp)
        keras.utils.set_random_seed(spec.training.seed)
        with training_scope(spec.training):
            return compile_model(build_model(spec, self.preprocessor_for(spec)), spec)

    def fit(self, hp, model, *args, **kwargs):
        """Fit on datasets rebuilt with this trial's batch size; Keras Tuner passes epochs and callbacks."""
        spec = self.spec_for(hp)
        seed = spec.training.seed
        transform = FeatureTransform(self.preprocessor_for(spec), seed=seed)
        data = self.prepared.data
        batch = spec.training.batch_size
        train = make_dataset(data.split("train"), transform, batch, training=True, seed=seed)
        val = make_dataset(data.split("val"), transform, batch)
        train, val = (shardable_batches(ds, spec.training.distribution) for ds in (train, val))
        kwargs.setdefault("class_weight", _class_weight(spec, data.split("train")))
        kwargs.setdefault("shuffle", False)  # make_dataset reshuffles every epoch
        self.fits += 1
        with training_scope(spec.training):  # the strategy / mesh the model was built in
            return model.fit(train, validation_data=val, **kwargs)


def _numeric(hp, name, space):
    if space.values:
        return hp.Choice(name, list(space.values))
    return hp.Float(name, min_value=space.min, max_value=space.max, step=space.step, sampling=space.sampling)


def _current_encoder(spec, key):
    choice = spec.model.encoders.get(key.rsplit(".", 1)[1])
    return choice.name if choice else None


def _preprocessing_key(spec):
    return tuple(sorted((name, repr(choice)) for name, choice in spec.model.encoders.items() if choice.name == "bert"))
