"""Spec -> model: options reach the layers, unknown options name the field."""

import pytest

from keras_multimodal.data.preprocessor import Preprocessor
from keras_multimodal.errors import SpecError
from keras_multimodal.models.builder import build_model
from keras_multimodal.specs.spec import Spec


def make_spec(task="binary", **model):
    raw = {
        "name": "t",
        "data": {"table": "t.csv", "root": "."},
        "target": {"column": "y", "task": task, **({"positive": ["1"]} if task == "binary" else {})},
        "inputs": {
            "img": {"type": "image", "column": "p", "size": [16, 16], "channels": 1},
            "txt": {"type": "text", "column": "t", "sequence_length": 8},
            "tab": {"type": "tabular", "numeric": ["a", "b"], "categorical": ["c"]},
        },
        "model": model,
    }
    return Spec.from_dict(raw)


def fitted(task="binary"):
    target = {"classes": ["no", "yes"]} if task != "regression" else {"classes": [], "mean": 10.0, "std": 2.0}
    if task == "multiclass":
        target = {"classes": ["a", "b", "c"]}
    return Preprocessor(
        {
            "img": {"type": "image", "size": [16, 16], "channels": 1, "augment": {}},
            "txt": {"type": "text", "vocabulary": ["", "[UNK]", "x", "y"], "sequence_length": 8, "standardize": "lower"},
            "tab": {"type": "tabular", "numeric": ["a", "b"], "categorical": ["c"], "mean": [0, 0], "std": [1, 1], "categories": [["u", "v"]]},
            "__target__": target,
        }
    )


@pytest.mark.parametrize("task,units", [("binary", 1), ("multiclass", 3), ("regression", 1)])
def test_head_matches_task(task, units):
    model = build_model(make_spec(task), fitted(task))
    assert model.output_shape == (None, units)
    assert set(model.input) == {"img", "img_present", "txt", "txt_present", "tab_numeric", "tab_missing", "tab_categorical", "tab_present"}


def test_encoder_options_change_the_model():
    small = build_model(make_spec(encoders={"txt": {"name": "lstm", "units": 8}}), fitted())
    large = build_model(make_spec(encoders={"txt": {"name": "lstm", "units": 32}}), fitted())
    assert small.get_layer("txt_encoder").units == 8
    assert large.count_params() > small.count_params()


@pytest.mark.parametrize("key,value", [("dropout", 0.5), ("l2", 0.01), ("hidden_units", 16)])
def test_model_options_reach_the_layers(key, value):
    model = build_model(make_spec(**{key: value}), fitted())
    if key == "dropout":
        assert model.get_layer("img_encoder").dropout == 0.5
        assert model.get_layer("head_dropout").rate == 0.5
    elif key == "l2":
        assert model.get_layer("tab_encoder").l2 == 0.01
        assert len(model.losses) > 0
    else:
        assert model.get_layer("head_dense").units == 16


def test_unknown_encoder_option_names_the_field():
    with pytest.raises(SpecError, match=r"model\.encoders\.txt\.unitz.*did you mean 'units'"):
        build_model(make_spec(encoders={"txt": {"name": "lstm", "unitz": 8}}), fitted())


def test_regression_output_is_on_the_target_scale():
    import numpy as np

    model = build_model(make_spec("regression"), fitted("regression"))
    assert model.get_layer("output").mean == 10.0 and model.get_layer("output").std == 2.0
    assert np.isfinite(model.count_params())


def test_decision_fusions_get_the_models_head_settings():
    model = build_model(make_spec(fusion="late", l2=0.01, hidden_units=16, dropout=0.3), fitted())
    fusion = model.get_layer("fusion")
    assert (fusion.units, fusion.l2, fusion.dropout) == (16, 0.01, 0.3)
    assert model.output_shape == (None, 1)


def test_modality_dropout_is_inserted_only_when_asked():
    raw_spec = make_spec()
    model = build_model(raw_spec, fitted())
    assert "modality_dropout" not in [layer.name for layer in model.layers]
    from keras_multimodal.specs.spec import Spec

    raw = dict(raw_spec.raw, training={"modality_dropout": 0.3})
    model = build_model(Spec.from_dict(raw), fitted())
    assert model.get_layer("modality_dropout").rate == 0.3
