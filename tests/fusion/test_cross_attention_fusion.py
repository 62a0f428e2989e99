"""CrossAttentionFusion (`cross_attention`): shapes, missing modalities, gradients, options, round trip."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_multimodal.data.preprocessor import Preprocessor
from keras_multimodal.fusion import get_fusion
from keras_multimodal.fusion.cross_attention_fusion import CrossAttentionFusion
from keras_multimodal.models.builder import build_model
from keras_multimodal.specs.spec import Spec

# img: a CNN-like map (4 cells of 6), txt: 5 LSTM-like tokens of 3 with padding, tab: pooled only.
SHAPES = {"img": {"pooled": (6,), "tokens": (4, 6), "token_mask": (4,)}, "tab": {"pooled": (5,)}, "txt": {"pooled": (3,), "tokens": (5, 3), "token_mask": (5,)}}
TXT_MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0], [0, 0, 0, 0, 0]], "float32")
FLAGS = {"img": [1, 1, 0, 0], "tab": [1, 0, 1, 0], "txt": [0, 1, 1, 0]}


def build(fusion, shapes=SHAPES):
    features = {k: {part: keras.Input(s) for part, s in parts.items()} for k, parts in shapes.items()}
    present = {k: keras.Input((1,)) for k in shapes}
    return keras.Model({"f": features, "p": present}, fusion(features, present))


def sample(seed=0, shapes=SHAPES, flags=FLAGS):
    rng = np.random.default_rng(seed)
    values = {k: {part: rng.normal(size=(4, *s)).astype("float32") for part, s in parts.items()} for k, parts in shapes.items()}
    if "img" in values:
        values["img"]["token_mask"] = np.ones((4, 4), "float32")
    if "txt" in values:
        values["txt"]["token_mask"] = TXT_MASK
        values["txt"]["tokens"] *= TXT_MASK[..., None]
    present = {k: np.array(flags[k], "float32")[:, None] for k in shapes}
    return {"f": values, "p": present}


def test_registered_and_three_modalities_give_one_vector():
    fusion = get_fusion("cross_attention", dim=16, num_heads=2)
    assert isinstance(fusion, CrossAttentionFusion)
    model = build(fusion)
    assert model.output.shape == (None, 16)
    out = np.asarray(model(sample()))
    assert out.shape == (4, 16) and np.all(np.isfinite(out))
    np.testing.assert_array_equal(out[3], 0.0)  # nothing present in row 3: zeros, not NaN
    assert fusion.compute_output_shape({k: {p: (None, *s) for p, s in v.items()} for k, v in SHAPES.items()}) == (None, 16)


def test_absent_modality_equals_the_model_without_it():
    """Row 0 has no text: its output equals a fusion built on image + tabular only, weights copied."""
    keras.utils.set_random_seed(0)
    full = CrossAttentionFusion(dim=16, num_heads=2, name="fusion")
    full_model = build(full)
    without = CrossAttentionFusion(dim=16, num_heads=2, name="fusion")
    two = {k: v for k, v in SHAPES.items() if k != "txt"}
    without_model = build(without, two)
    by_path = {w.path: w for w in full.weights}
    for weight in without.weights:
        weight.assign(by_path[weight.path])
    data = sample(1)
    reduced = sample(1, two)
    np.testing.assert_allclose(np.asarray(without_model(reduced))[0], np.asarray(full_model(data))[0], atol=1e-5)
    garbage = sample(1)
    garbage["f"]["txt"]["tokens"][0] = np.inf  # an absent modality's values never leak, even inf
    np.testing.assert_allclose(np.asarray(full_model(garbage))[0], np.asarray(full_model(data))[0], atol=1e-6)


def test_mixed_float16_is_finite_with_absent_rows():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build(CrossAttentionFusion(dim=16, num_heads=2, num_bidirectional_blocks=2))
        out = np.asarray(model(sample(2)), "float32")
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert np.all(np.isfinite(out)) and np.all(out[3] == 0)


def test_every_trainable_weight_gets_a_finite_gradient():
    fusion = CrossAttentionFusion(dim=16, num_heads=2, combine="gated")
    model = build(fusion)
    data = sample(3, flags={k: [1, 1, 1, 1] for k in SHAPES})
    data["f"]["txt"]["token_mask"][3] = 1.0
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(data, training=True) ** 2)
    grads = tape.gradient(loss, fusion.trainable_weights)
    assert len(grads) == len(fusion.trainable_weights) > 0
    for weight, grad in zip(fusion.trainable_weights, grads):
        assert grad is not None and np.all(np.isfinite(grad)), weight.path
        # Softmax is invariant to a key bias (q . b_k is the same for every key) and to
        # the key of a one-token source (tab: a pooled vector), so those get exactly 0.
        if "_key/bias" in weight.path or "tab_key" in weight.path:
            continue
        assert np.abs(np.asarray(grad)).sum() > 0, weight.path


def n_params(**options):
    fusion = CrossAttentionFusion(**{"dim": 16, "num_heads": 2, **options})
    build(fusion)
    return fusion.count_params()


@pytest.mark.parametrize(
    "option,value",
    [("dim", 24), ("key_dim", 4), ("mlp_dim", 8), ("num_bidirectional_blocks", 2), ("num_self_blocks", 0), ("combine", "gated")],
)
def test_size_options_change_the_layer(option, value):
    assert n_params(**{option: value}) != n_params()


def outputs_with_shared_weights(base, training=False, **options):
    """Outputs of the base fusion and of one with `options` changed, with the same weights."""
    data = sample(4)
    keras.utils.set_random_seed(5)
    a = build(CrossAttentionFusion(dim=16, num_heads=2, **base))
    keras.utils.set_random_seed(5)
    b = build(CrossAttentionFusion(dim=16, num_heads=2, **{**base, **options}))
    b.set_weights(a.get_weights())
    return np.asarray(a(data, training=training)), np.asarray(b(data, training=training))


@pytest.mark.parametrize("options", [{"combine": "joint"}, {"combine": "sum"}, {"pooling": "mean"}, {"num_heads": 4}])
def test_behaviour_options_change_the_output(options):
    if "num_heads" in options:  # same parameter count, a different split of the projections into heads
        keras.utils.set_random_seed(5)
        a = CrossAttentionFusion(dim=16, num_heads=2)
        b = CrossAttentionFusion(dim=16, num_heads=4)
        build(a), build(b)
        assert [w.shape for w in a.weights] != [w.shape for w in b.weights]
        return
    a, b = outputs_with_shared_weights({}, **options)
    assert np.abs(a - b).max() > 1e-4


@pytest.mark.parametrize("option", ["dropout", "attention_dropout"])
def test_dropout_options_act_in_training_only(option):
    base = {"dropout": 0.0}
    a, b = outputs_with_shared_weights(base, training=True, **{option: 0.5})
    assert np.abs(a - b).max() > 1e-4
    a, b = outputs_with_shared_weights(base, training=False, **{option: 0.5})
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_invalid_options_raise():
    with pytest.raises(ValueError, match="combine"):
        CrossAttentionFusion(combine="max")
    with pytest.raises(ValueError, match="pooling"):
        CrossAttentionFusion(pooling="cls")


def test_keras_round_trip_with_non_default_options(tmp_path):
    fusion = CrossAttentionFusion(dim=8, num_heads=2, key_dim=3, mlp_dim=12, num_bidirectional_blocks=2, num_self_blocks=0, combine="gated", pooling="mean")
    assert CrossAttentionFusion.from_config(fusion.get_config()).get_config() == fusion.get_config()
    model = build(fusion)
    data = sample(6)
    out = np.asarray(model(data))
    model.save(tmp_path / "x.keras")
    loaded = keras.saving.load_model(tmp_path / "x.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(data)), out, atol=1e-6)


def _spec_model():
    """A cnn + lstm + mlp model from a spec, and a batch for it (row 1 has no text)."""
    raw = {
        "name": "t",
        "data": {"table": "t.csv", "root": "."},
        "target": {"column": "y", "task": "binary", "positive": ["1"]},
        "inputs": {
            "img": {"type": "image", "column": "p", "size": [16, 16], "channels": 1},
            "txt": {"type": "text", "column": "t", "sequence_length": 8},
            "tab": {"type": "tabular", "numeric": ["a"], "categorical": []},
        },
        "model": {"fusion": {"name": "cross_attention", "dim": 16, "num_heads": 2, "num_self_blocks": 2}},
    }
    preprocessor = Preprocessor(
        {
            "img": {"type": "image", "size": [16, 16], "channels": 1, "augment": {}},
            "txt": {"type": "text", "vocabulary": ["", "[UNK]", "x", "y"], "sequence_length": 8, "standardize": "lower"},
            "tab": {"type": "tabular", "numeric": ["a"], "categorical": [], "mean": [0], "std": [1], "categories": []},
            "__target__": {"classes": ["no", "yes"]},
        }
    )
    model = build_model(Spec.from_dict(raw), preprocessor)
    batch = {
        "img": np.random.default_rng(0).random((2, 16, 16, 1), dtype="float32"),
        "txt": np.array([[2, 3, 0, 0, 0, 0, 0, 0], [0] * 8], "int32"),
        "tab_numeric": np.zeros((2, 1), "float32"),
        "tab_missing": np.zeros((2, 1), "float32"),
    }
    batch.update({f"{n}_present": np.array([[1.0], [float(n != "txt")]], "float32") for n in ("img", "txt", "tab")})
    return model, batch


def test_builds_from_a_spec_with_cnn_lstm_and_mlp_encoders():
    model, batch = _spec_model()
    fusion = model.get_layer("fusion")
    assert isinstance(fusion, CrossAttentionFusion) and len(fusion.self_blocks) == 2
    # cnn: 2x2 map = 4 tokens, lstm: 8 tokens, mlp: pooled = 1 token.
    assert {n: tuple(w.shape) for n, w in fusion.position_embeddings.items()} == {"img": (4, 16), "tab": (1, 16), "txt": (8, 16)}
    assert np.all(np.isfinite(np.asarray(model(batch))))


def test_every_weight_of_a_spec_model_gets_a_gradient():
    """The CNN has no pooled projection under this fusion, which reads its tokens only (TensorFlow: GradientTape)."""
    model, batch = _spec_model()
    assert model.get_layer("img_encoder").projection is None
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(batch, training=True))
    grads = tape.gradient(loss, model.trainable_weights)
    assert [w.path for w, g in zip(model.trainable_weights, grads) if g is None] == []
