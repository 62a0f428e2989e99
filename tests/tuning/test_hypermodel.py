"""MultimodalHyperModel: trial hyperparameters -> concrete specs and models; tuning: validation."""

import keras_tuner
import pytest

import keras_multimodal as kmm
from keras_multimodal.errors import SpecError
from keras_multimodal.specs.tuning_config import Range
from keras_multimodal.specs.tuning_config import TuningConfig
from keras_multimodal.training.data_setup import prepare_data
from keras_multimodal.tuning.hypermodel import MultimodalHyperModel


@pytest.fixture(scope="module")
def hypermodel(make_demo_spec):
    spec = make_demo_spec(tuning__encoders={"note": ["lstm", "gru"]}, tuning__fusion=["concat", "late", "attention"])
    return MultimodalHyperModel(spec, prepare_data(spec))


def _hp(hypermodel, **values):
    hp = keras_tuner.HyperParameters()
    hypermodel.choices(hp)  # declares the space with its defaults
    for key, value in values.items():
        hp.values[key.replace("__", ".")] = value
    return hp


def test_is_a_keras_tuner_hypermodel(hypermodel):
    assert isinstance(hypermodel, keras_tuner.HyperModel)
    assert type(hypermodel).__name__ == "MultimodalHyperModel"


def test_space_names_are_scoped_spec_keys(hypermodel):
    hp = keras_tuner.HyperParameters()
    hypermodel.choices(hp)
    assert sorted(p.name for p in hp.space) == sorted([
        "model.fusion", "model.encoders.note", "model.hidden_units", "model.dropout",
        "training.learning_rate", "training.batch_size",
    ])
    assert hp.get("model.fusion") == "concat" and hp.get("model.hidden_units") == 32


def test_build_follows_the_hyperparameters(hypermodel):
    a = hypermodel.build(_hp(hypermodel, model__fusion="concat", model__encoders__note="lstm", model__hidden_units=32))
    b = hypermodel.build(_hp(hypermodel, model__fusion="attention", model__encoders__note="gru", model__hidden_units=128))
    c = hypermodel.build(_hp(hypermodel, model__fusion="late", model__encoders__note="gru", model__hidden_units=64))
    assert type(a.get_layer("fusion")).__name__ == "ConcatFusion"
    assert type(b.get_layer("fusion")).__name__ == "AttentionFusion"
    assert type(c.get_layer("fusion")).__name__ == "LateFusion"
    assert type(a.get_layer("note_encoder")).__name__ == "TextLSTMEncoder"
    assert type(b.get_layer("note_encoder")).__name__ == "TextGRUEncoder"
    assert a.get_layer("head_dense").units == 32 and b.get_layer("head_dense").units == 128
    assert a.optimizer is not None and b.optimizer is not None  # compiled


def test_spec_for_keeps_options_of_an_unchanged_encoder(hypermodel):
    spec = hypermodel.spec_for(_hp(hypermodel, model__encoders__note="lstm", model__dropout=0.3, training__learning_rate=0.005, training__batch_size=64))
    assert spec.model.encoders["note"].options == {"units": 32}  # the demo's own lstm options
    assert spec.model.dropout == 0.3 and spec.training.learning_rate == 0.005 and spec.training.batch_size == 64
    other = hypermodel.spec_for(_hp(hypermodel, model__encoders__note="gru"))
    assert other.model.encoders["note"].name == "gru" and other.model.encoders["note"].options == {}


def test_fit_uses_the_trial_batch_size(hypermodel):
    hp = _hp(hypermodel, model__fusion="concat", training__batch_size=64)
    model = hypermodel.build(hp)
    history = hypermodel.fit(hp, model, epochs=1, verbose=0)
    train_rows = int((hypermodel.prepared.data.frame["split"] == "train").sum())
    assert history.history["val_loss"] and model.optimizer.iterations.numpy() == -(-train_rows // 64)


def test_defaults():
    spec = kmm.load_spec(None)
    assert spec.tuning == TuningConfig()
    assert spec.tuning.objective == "val_loss" and spec.tuning.direction == "min"
    assert spec.tuning.learning_rate == Range(min=1e-4, max=1e-2, sampling="log")
    none = kmm.load_spec(None, tuning__fusion=None, tuning__dropout=[0.1, 0.2])
    assert none.tuning.fusion is None and none.tuning.dropout == Range(values=(0.1, 0.2))


@pytest.mark.parametrize(
    "updates, field, text",
    [
        ({"tuning__fusion": ["concat", "concatt"]}, "tuning.fusion[1]", "did you mean 'concat'"),
        ({"tuning__encoders": {"note": ["lstm", "resnet"]}}, "tuning.encoders.note[1]", "unknown name 'resnet'"),
        ({"tuning__encoders": {"note": ["cnn"]}}, "tuning.encoders.note[0]", "valid: lstm, bilstm"),
        ({"tuning__encoders": {"xray": ["lstm"]}}, "tuning.encoders.xray[0]", "valid: cnn, backbone, patches"),
        ({"tuning__encoders": {"notes": ["lstm"]}}, "tuning.encoders.notes", "no such input (did you mean 'note'?)"),
        ({"tuning__tuner": "grd"}, "tuning.tuner", "expected one of random, grid, hyperband, bayesian"),
        ({"tuning__max_trials": 0}, "tuning.max_trials", "expected a value >= 1"),
        ({"tuning__hidden_units": [32, "big"]}, "tuning.hidden_units[1]", "expected an integer"),
        ({"tuning__dropout": {"min": 0.5, "max": 0.1}}, "tuning.dropout.max", "expected a value > min"),
        ({"tuning__learning_rate": {"min": 0.0, "max": 0.1, "sampling": "log"}}, "tuning.learning_rate.min", "expected a value >= 1e-08"),
        ({"tuning__learning_rate": {"min": 1e-4, "max": 0.1, "sampling": "log", "step": 0.5}}, "tuning.learning_rate.step", "factor > 1"),
        ({"tuning__batch_size": []}, "tuning.batch_size", "at least one value"),
        ({"tuning__epoch": 3}, "tuning.epoch", "did you mean 'epochs'"),
        ({"tuning__objective": "val_mae"}, "tuning.objective", "not reported for a binary target; valid: val_loss, val_auc, val_accuracy"),
    ],
)
def test_bad_tuning_sections_name_the_field(updates, field, text):
    with pytest.raises(SpecError) as caught:
        kmm.load_spec(None, **updates)
    assert caught.value.field == field
    assert text in str(caught.value)
