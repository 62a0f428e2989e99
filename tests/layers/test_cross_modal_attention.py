"""CrossModalAttention: the tests of irene_gloria.md B1.4 (items 1-11)."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from attention_oracle import layer_weights
from attention_oracle import oracle

from keras_multimodal.layers.cross_modal_attention import CrossModalAttention

SIGMA = np.e / (np.e + 1)


def random_inputs(seed=0, batch=2, tab=False):
    rng = np.random.default_rng(seed)
    inputs = {"img": rng.normal(size=(batch, 5, 16)), "txt": rng.normal(size=(batch, 3, 16))}
    if tab:
        inputs["tab"] = rng.normal(size=(batch, 7, 8))
    return {k: v.astype("float32") for k, v in inputs.items()}


def padding_masks(batch=2):
    return {"img": np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]][:batch], bool), "txt": np.array([[1, 0, 0], [1, 1, 0]][:batch], bool)}


def test_shapes_maps_and_symbolic_construction():
    layer = CrossModalAttention(num_heads=4, key_dim=4)
    inputs = random_inputs()
    out, maps = layer(inputs, return_attention_scores=True)
    assert out["img"].shape == (2, 5, 16) and out["txt"].shape == (2, 3, 16)
    assert {k: tuple(v.shape) for k, v in maps.items()} == {
        ("img", "img"): (2, 4, 5, 5),
        ("img", "txt"): (2, 4, 5, 3),
        ("txt", "img"): (2, 4, 3, 5),
        ("txt", "txt"): (2, 4, 3, 3),
    }
    assert layer.compute_output_shape({k: v.shape for k, v in inputs.items()}) == {k: tuple(v.shape) for k, v in out.items()}
    three = CrossModalAttention(num_heads=4, key_dim=4, output_dim=16)
    symbolic = {"img": keras.Input((5, 16)), "txt": keras.Input((3, 16)), "tab": keras.Input((7, 8))}
    sym_out, sym_maps = three(symbolic, return_attention_scores=True)
    assert len(sym_maps) == 9 and sym_maps[("tab", "img")].shape == (None, 4, 7, 5)
    eager, eager_maps = three(random_inputs(tab=True), return_attention_scores=True)
    for name, tensor in sym_out.items():
        assert tensor.shape[1:] == eager[name].shape[1:] == (tensor.shape[1], 16)
    for key, tensor in sym_maps.items():
        assert tensor.shape[1:] == eager_maps[key].shape[1:]


def known_value_layer(combine):
    layer = CrossModalAttention(num_heads=1, key_dim=1, use_bias=False, combine=combine)
    inputs = {"img": np.array([[[1.0], [0.0]]], "float32"), "txt": np.array([[[1.0]]], "float32")}
    layer(inputs)
    for weight in layer.weights:
        if "gate" not in weight.path:
            weight.assign(np.ones(weight.shape))  # identity projections
    return layer, inputs


def test_known_values_separate_softmax_then_mean():
    layer, inputs = known_value_layer("mean")
    out, maps = layer(inputs, return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(out["img"])[0, :, 0], [(SIGMA + 1) / 2, 0.75], atol=1e-6)
    np.testing.assert_allclose(np.asarray(out["img"])[0, :, 0], [0.86553, 0.75], atol=1e-5)
    np.testing.assert_allclose(np.asarray(out["txt"])[0, 0, 0], 0.86553, atol=1e-5)
    np.testing.assert_allclose(np.asarray(maps[("img", "img")])[0, 0], [[SIGMA, 1 - SIGMA], [0.5, 0.5]], atol=1e-6)
    np.testing.assert_allclose(np.asarray(maps[("txt", "img")])[0, 0], [[SIGMA, 1 - SIGMA]], atol=1e-6)


def test_known_values_joint_softmax_differs():
    layer, inputs = known_value_layer("joint")
    out = layer(inputs)
    expected, _ = oracle(
        {k: v.astype("float64") for k, v in inputs.items()},
        {"img": np.ones((1, 2)), "txt": np.ones((1, 1))},
        {"img": np.ones(1), "txt": np.ones(1)},
        layer_weights(layer),
        layer.routes,
        key_dim=1,
        combine="joint",
    )
    # One softmax over [img keys; txt key]: query 1 -> (e + e) / (2e + 1), query 0 -> 2/3.
    np.testing.assert_allclose(np.asarray(out["img"])[0, :, 0], [2 * np.e / (2 * np.e + 1), 2 / 3], atol=1e-6)
    np.testing.assert_allclose(np.asarray(out["img"]), expected["img"], atol=1e-6)
    np.testing.assert_allclose(np.asarray(out["txt"]), expected["txt"], atol=1e-6)
    assert abs(float(out["img"][0, 0, 0]) - 0.86553) > 0.01


@pytest.mark.parametrize("share", [True, False])
@pytest.mark.parametrize("combine", ["mean", "sum", "gated", "joint"])
def test_matches_numpy_oracle(combine, share):
    layer = CrossModalAttention(num_heads=2, key_dim=3, value_dim=5, output_dim=None if not share else 16, combine=combine, share_output_projection=share)
    inputs = random_inputs(seed=3, batch=3, tab=True)
    masks = {"img": np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [1, 0, 1, 0, 1]], bool), "txt": np.array([[1, 1, 0], [0, 0, 0], [1, 1, 1]], bool)}
    masks["tab"] = np.ones((3, 7), bool)
    presence = {"img": np.array([1, 1, 0], bool), "txt": np.array([1, 1, 1], bool), "tab": np.array([0, 1, 1], bool)}
    layer(inputs, masks=masks, presence=presence)
    rng = np.random.default_rng(7)
    for weight in layer.weights:  # non-trivial biases and gates
        weight.assign(rng.normal(size=weight.shape) * 0.5)
    out, maps = layer(inputs, masks=masks, presence=presence, return_attention_scores=True)
    as64 = {k: v.astype("float64") for k, v in inputs.items()}
    expected, expected_maps = oracle(as64, masks, presence, layer_weights(layer), layer.routes, 3, combine, share)
    for name in inputs:
        np.testing.assert_allclose(np.asarray(out[name]), expected[name], atol=1e-5)
    for key in expected_maps:
        np.testing.assert_allclose(np.asarray(maps[key]), expected_maps[key], atol=1e-5)


def test_reduces_to_self_attention_and_to_multi_head_attention():
    x = random_inputs(seed=4)["img"]
    single = CrossModalAttention(num_heads=2, key_dim=4, name="single")
    ref = np.asarray(single({"a": x})["a"])
    pair = CrossModalAttention(num_heads=2, key_dim=4)
    pair({"a": x, "b": x})
    for table in (pair.query_dense, pair.key_dense, pair.value_dense):
        for name in ("a", "b"):
            source = {"query": single.query_dense, "key": single.key_dense, "value": single.value_dense}[table[name].name.split("_")[-1]]
            table[name].set_weights(source["a"].get_weights())
    pair.output_dense["shared"].set_weights(single.output_dense["shared"].get_weights())
    tied = pair({"a": x, "b": x})
    np.testing.assert_allclose(np.asarray(tied["a"]), ref, atol=1e-5)
    np.testing.assert_allclose(np.asarray(tied["b"]), ref, atol=1e-5)
    joint = CrossModalAttention(num_heads=2, key_dim=4, combine="joint")
    joint({"a": x, "b": x})
    joint.set_weights(pair.get_weights())
    mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    doubled = np.concatenate([x, x], axis=1)
    mha(x, doubled)
    mha.set_weights(single.query_dense["a"].get_weights() + single.key_dense["a"].get_weights() + single.value_dense["a"].get_weights() + single.output_dense["shared"].get_weights())
    np.testing.assert_allclose(np.asarray(joint({"a": x, "b": x})["a"]), np.asarray(mha(x, doubled)), atol=1e-5)


def test_symmetry_and_permutation_equivariance():
    inputs = random_inputs(seed=5)
    inputs["txt"] = np.random.default_rng(1).normal(size=(2, 5, 16)).astype("float32")
    layer = CrossModalAttention(num_heads=2, key_dim=4, share_output_projection=False)
    out = layer(inputs)
    swapped = CrossModalAttention(num_heads=2, key_dim=4, share_output_projection=False)
    swapped({"img": inputs["txt"], "txt": inputs["img"]})
    for a, b in (("img", "txt"), ("txt", "img")):
        for table in ("query_dense", "key_dense", "value_dense", "output_dense"):
            getattr(swapped, table)[a].set_weights(getattr(layer, table)[b].get_weights())
    out_swapped = swapped({"img": inputs["txt"], "txt": inputs["img"]})
    np.testing.assert_allclose(np.asarray(out_swapped["img"]), np.asarray(out["txt"]), atol=1e-6)
    np.testing.assert_allclose(np.asarray(out_swapped["txt"]), np.asarray(out["img"]), atol=1e-6)
    perm = np.array([3, 0, 4, 1, 2])
    permuted = layer(dict(inputs, img=inputs["img"][:, perm]))
    np.testing.assert_allclose(np.asarray(permuted["txt"]), np.asarray(out["txt"]), atol=1e-5)
    np.testing.assert_allclose(np.asarray(permuted["img"]), np.asarray(out["img"])[:, perm], atol=1e-5)


def test_padding_masks():
    layer = CrossModalAttention(num_heads=2, key_dim=4)
    inputs, masks = random_inputs(seed=6), padding_masks()
    out, maps = layer(inputs, masks=masks, return_attention_scores=True)
    noisy = {k: np.where(masks[k][..., None], v, np.random.default_rng(2).normal(size=v.shape) * 50).astype("float32") for k, v in inputs.items()}
    out_noisy = layer(noisy, masks=masks)
    for name in inputs:
        diff = np.abs(np.asarray(out_noisy[name]) - np.asarray(out[name]))
        assert diff.max() < 1e-6
        assert np.all(np.asarray(out[name])[~masks[name]] == 0)
    for (t, s), p in maps.items():
        p = np.asarray(p)
        assert np.all(p.transpose(0, 2, 3, 1)[np.broadcast_to(~masks[s][:, None, :], (2, p.shape[2], p.shape[3]))] == 0)
        np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-6)
    # The implicit mask of Embedding(mask_zero=True) equals an explicit mask.
    ids = np.array([[3, 5, 0], [2, 0, 0]], "int32")
    embedding = keras.layers.Embedding(10, 16, mask_zero=True)
    embedded = {"img": keras.ops.convert_to_tensor(inputs["img"]), "txt": embedding(ids)}
    implicit = layer(embedded)
    explicit = layer({"img": inputs["img"], "txt": np.asarray(embedding(ids))}, masks={"txt": ids > 0})
    for name in inputs:
        np.testing.assert_allclose(np.asarray(implicit[name]), np.asarray(explicit[name]), atol=1e-6)


def missing_text_case(policy="float32"):
    keras.mixed_precision.set_global_policy(policy)
    try:
        layer = CrossModalAttention(num_heads=2, key_dim=4)
        inputs = random_inputs(seed=8)
        presence = {"img": np.array([True, True]), "txt": np.array([False, True])}
        out = layer(inputs, presence=presence)
        return layer, inputs, presence, out
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_missing_modality_per_sample():
    layer, inputs, presence, out = missing_text_case()
    full = layer(inputs)
    np.testing.assert_allclose(np.asarray(out["img"])[1], np.asarray(full["img"])[1], atol=1e-6)
    np.testing.assert_allclose(np.asarray(out["txt"])[1], np.asarray(full["txt"])[1], atol=1e-6)
    assert np.all(np.asarray(out["txt"])[0] == 0)
    image_only = CrossModalAttention(num_heads=2, key_dim=4)
    image_only({"img": inputs["img"]})
    for table in ("query_dense", "key_dense", "value_dense"):
        getattr(image_only, table)["img"].set_weights(getattr(layer, table)["img"].get_weights())
    image_only.output_dense["shared"].set_weights(layer.output_dense["shared"].get_weights())
    np.testing.assert_allclose(np.asarray(out["img"])[0], np.asarray(image_only({"img": inputs["img"]})["img"])[0], atol=1e-6)
    for value in out.values():
        assert np.all(np.isfinite(np.asarray(value)))
    kernels = [layer.key_dense["txt"].kernel, layer.value_dense["txt"].kernel]
    with tf.GradientTape() as tape:
        result = layer(inputs, presence=presence)
        loss = tf.reduce_sum(result["img"][0]) + tf.reduce_sum(result["txt"][0])
    for grad in tape.gradient(loss, kernels):
        assert grad is None or np.all(np.asarray(grad) == 0)


def test_missing_modality_under_mixed_float16():
    _, _, _, out = missing_text_case("mixed_float16")
    assert out["img"].dtype == "float16"
    for value in out.values():
        assert np.all(np.isfinite(np.asarray(value, "float32")))
    assert np.all(np.asarray(out["txt"])[0] == 0)


def test_gradient_flow():
    inputs = {k: tf.constant(v) for k, v in random_inputs(seed=9).items()}
    layer = CrossModalAttention(num_heads=2, key_dim=4)
    layer(inputs)
    watched = [inputs["txt"], layer.key_dense["txt"].kernel, layer.value_dense["txt"].kernel]
    with tf.GradientTape() as tape:
        tape.watch(inputs["txt"])
        loss = tf.reduce_sum(layer(inputs)["img"])
    for grad in tape.gradient(loss, watched):
        assert np.all(np.isfinite(grad)) and np.abs(grad).sum() > 0
    one_way = CrossModalAttention(num_heads=2, key_dim=4, include_self=False, pairs=[("img", "txt")])
    one_way(inputs)
    assert one_way.routes == {"img": ["txt"], "txt": []}
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(one_way(inputs)["img"])
    for grad in tape.gradient(loss, [one_way.key_dense["img"].kernel, one_way.value_dense["img"].kernel]):
        assert grad is None or np.all(np.asarray(grad) == 0)


def test_dropout_determinism():
    inputs = random_inputs(seed=10)
    a = CrossModalAttention(num_heads=2, key_dim=4, dropout=0.3, attention_dropout=0.3, seed=11)
    b = CrossModalAttention(num_heads=2, key_dim=4, dropout=0.3, attention_dropout=0.3, seed=11)
    a(inputs), b(inputs)
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(np.asarray(a(inputs)["img"]), np.asarray(a(inputs, training=False)["img"]))
    trained = a(inputs, training=True)["img"]
    np.testing.assert_array_equal(np.asarray(trained), np.asarray(b(inputs, training=True)["img"]))
    assert np.abs(np.asarray(trained) - np.asarray(a(inputs)["img"])).max() > 1e-3
    only_attention = CrossModalAttention(num_heads=2, key_dim=4, attention_dropout=0.5, seed=3)
    only_attention(inputs)
    assert np.abs(np.asarray(only_attention(inputs, training=True)["img"]) - np.asarray(only_attention(inputs)["img"])).max() > 1e-3


def test_serialization_and_keras_round_trip(tmp_path):
    layer = CrossModalAttention(num_heads=2, key_dim=4, value_dim=3, output_dim=6, include_self=False, pairs=[["img", "txt"], ["txt", "img"]], combine="gated", share_output_projection=False, use_bias=False, kernel_initializer="he_normal", seed=4)
    clone = CrossModalAttention.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    symbolic = {"img": keras.Input((5, 16)), "txt": keras.Input((3, 16))}
    masks = {"img": keras.Input((5,), dtype="bool"), "txt": keras.Input((3,), dtype="bool")}
    model = keras.Model({"x": symbolic, "m": masks}, layer(symbolic, masks=masks))
    data = {"x": random_inputs(seed=12), "m": padding_masks()}
    out = model(data)
    model.save(tmp_path / "a.keras")
    loaded = keras.saving.load_model(tmp_path / "a.keras", safe_mode=True)
    for name, value in loaded(data).items():
        np.testing.assert_allclose(np.asarray(value), np.asarray(out[name]), atol=1e-6)


@pytest.mark.parametrize("modalities", [2, 3])
def test_parameter_count(modalities):
    dim, names = 16, ["a", "b", "c"][:modalities]
    layer = CrossModalAttention(num_heads=4, key_dim=4)
    layer({n: np.zeros((1, 3, dim), "float32") for n in names})
    assert layer.count_params() == modalities * 3 * (dim**2 + dim) + (dim**2 + dim)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="combine"):
        CrossModalAttention(num_heads=1, key_dim=1, combine="max")
    with pytest.raises(ValueError, match="shared output projection"):
        CrossModalAttention(num_heads=1, key_dim=4)(random_inputs(tab=True))
    with pytest.raises(ValueError, match="unknown modalities"):
        CrossModalAttention(num_heads=1, key_dim=4, pairs=[("img", "audio")])(random_inputs())
