"""Every registered encoder and fusion passes the same checks (registry-driven)."""

import keras
import numpy as np
import pytest

import keras_multimodal  # noqa: F401
from keras_multimodal.encoders import get_encoder
from keras_multimodal.encoders import list_encoders
from keras_multimodal.encoders.registry import ENCODERS
from keras_multimodal.fusion import FUSIONS_REGISTRY
from keras_multimodal.fusion import get_fusion
from keras_multimodal.fusion import list_fusions
from keras_multimodal.specs import components

BATCH = 4


def encoder_case(name):
    """(constructor kwargs, symbolic input, a concrete batch) for an encoder."""
    rng = np.random.default_rng(0)
    modality = ENCODERS.get_class(name).modality
    if modality == "image":
        return {}, keras.Input((32, 32, 1)), rng.random((BATCH, 32, 32, 1), dtype="float32")
    if modality == "text":
        tokens = rng.integers(0, 50, (BATCH, 12)).astype("int32")
        tokens[0] = 0  # an absent text: all padding
        kwargs = {"vocabulary_size": 50}
        if name == "bert":  # a tiny random BertBackbone instead of a preset directory
            import keras_hub

            kwargs["backbone"] = keras_hub.models.BertBackbone(50, num_layers=2, num_heads=2, hidden_dim=16, intermediate_dim=32)
        return kwargs, keras.Input((12,), dtype="int32"), tokens
    inputs = {"numeric": keras.Input((3,)), "missing": keras.Input((3,)), "categorical": keras.Input((2,), dtype="int32")}
    data = {
        "numeric": rng.normal(size=(BATCH, 3)).astype("float32"),
        "missing": (rng.random((BATCH, 3)) < 0.3).astype("float32"),
        "categorical": rng.integers(0, 5, (BATCH, 2)).astype("int32"),
    }
    return {"num_numeric": 3, "category_sizes": [5, 5]}, inputs, data


def test_component_catalogue_matches_the_registries():
    for modality, names in components.ENCODERS.items():
        assert sorted(names) == list_encoders(modality)
    assert sorted(components.FUSIONS) == list_fusions()
    assert set(components.DEFAULT_ENCODERS.values()) <= set(list_encoders())


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="Valid encoders: .*cnn"):
        get_encoder("cnnn")
    with pytest.raises(ValueError, match="did you mean 'concat'"):
        get_fusion("concatt")


@pytest.mark.parametrize("name", list_encoders())
def test_encoder_contract_and_keras_round_trip(name, tmp_path):
    kwargs, inputs, data = encoder_case(name)
    encoder = get_encoder(name, **kwargs)
    model = keras.Model(inputs, encoder(inputs))
    out = {k: np.asarray(v) for k, v in model(data).items()}
    assert out["pooled"].shape == (BATCH, encoder.output_dim)
    assert set(out) in ({"pooled"}, {"pooled", "tokens", "token_mask"})
    if "tokens" in out:
        assert out["tokens"].ndim == 3 and out["token_mask"].shape == out["tokens"].shape[:2]
        assert set(np.unique(out["token_mask"])) <= {0.0, 1.0}
        # Masked tokens carry no value.
        assert np.all(out["tokens"][out["token_mask"] == 0] == 0)
    for value in out.values():
        assert np.all(np.isfinite(value))
    clone = type(encoder).from_config(encoder.get_config())
    assert clone.get_config() == encoder.get_config()
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    for key, value in loaded(data).items():
        np.testing.assert_allclose(np.asarray(value), out[key], atol=1e-6)


def fusion_case(name):
    """Constructor kwargs for a fusion: decision-level fusions get a 2-class softmax output."""
    if getattr(FUSIONS_REGISTRY.get_class(name), "produces_output", False):
        return {"output_units": 2, "output_activation": "softmax"}
    return {}


def _garbage_where_absent(values, flags):
    """Adds 100 to absent rows' encoder outputs (not to masks, nor to padded tokens, which stay 0)."""
    noisy = {}
    for name, parts in values.items():
        absent = 1.0 - flags[name][:, 0]
        noisy[name] = dict(parts)
        for part, value in parts.items():
            if part != "token_mask":
                extra = 100.0 * absent.reshape((-1,) + (1,) * (value.ndim - 1))
                noisy[name][part] = value + (extra * parts["token_mask"][..., None] if part == "tokens" else extra)
    return noisy


@pytest.mark.parametrize("name", list_fusions())
def test_fusion_ignores_absent_modality_values(name, tmp_path):
    rng = np.random.default_rng(1)
    # `a` has a token sequence (like text or image patches), `b` only a pooled vector.
    shapes = {"a": {"pooled": (4,), "tokens": (5, 4), "token_mask": (5,)}, "b": {"pooled": (3,)}}
    features = {k: {part: keras.Input(s) for part, s in parts.items()} for k, parts in shapes.items()}
    present = {k: keras.Input((1,)) for k in features}
    fused = get_fusion(name, **fusion_case(name))(features, present)
    model = keras.Model({"f": features, "p": present}, fused)
    values = {k: {part: rng.normal(size=(BATCH, *s)).astype("float32") for part, s in parts.items()} for k, parts in shapes.items()}
    values["a"]["token_mask"] = np.array([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], "float32")
    values["a"]["tokens"] *= values["a"]["token_mask"][..., None]
    flags = {"a": np.array([[1], [1], [0], [1]], "float32"), "b": np.array([[1], [0], [1], [0]], "float32")}
    out = np.asarray(model({"f": values, "p": flags}))
    assert np.all(np.isfinite(out))
    noisy = _garbage_where_absent(values, flags)
    np.testing.assert_allclose(np.asarray(model({"f": noisy, "p": flags})), out, atol=1e-5)
    # Batch independence: a row's output does not depend on the other rows.
    one = {k: {part: v[1:2] for part, v in parts.items()} for k, parts in values.items()}
    single = np.asarray(model({"f": one, "p": {k: v[1:2] for k, v in flags.items()}}))
    np.testing.assert_allclose(single, out[1:2], atol=1e-5)
    model.save(tmp_path / "f.keras")
    loaded = keras.saving.load_model(tmp_path / "f.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded({"f": values, "p": flags})), out, atol=1e-6)


@pytest.fixture
def mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("name", list_encoders())
def test_encoder_under_mixed_float16(name, mixed_precision):
    kwargs, inputs, data = encoder_case(name)
    outputs = get_encoder(name, **kwargs)(inputs)
    model = keras.Model(inputs, outputs)
    for value in model(data).values():
        assert np.all(np.isfinite(np.asarray(value, dtype="float32")))


@pytest.mark.parametrize("name", list_fusions())
def test_fusion_under_mixed_float16(name, mixed_precision):
    rng = np.random.default_rng(2)
    shapes = {"a": {"pooled": (4,), "tokens": (5, 4), "token_mask": (5,)}, "b": {"pooled": (3,)}}
    features = {k: {part: keras.Input(s) for part, s in parts.items()} for k, parts in shapes.items()}
    present = {k: keras.Input((1,)) for k in features}
    model = keras.Model({"f": features, "p": present}, get_fusion(name, **fusion_case(name))(features, present))
    values = {k: {part: rng.normal(size=(BATCH, *s)).astype("float32") for part, s in parts.items()} for k, parts in shapes.items()}
    values["a"]["token_mask"] = np.ones((BATCH, 5), "float32")
    flags = {"a": np.array([[1], [0], [1], [0]], "float32"), "b": np.array([[1], [1], [0], [0]], "float32")}
    out = np.asarray(model({"f": values, "p": flags}), dtype="float32")
    assert np.all(np.isfinite(out))  # the last row has no modality at all
