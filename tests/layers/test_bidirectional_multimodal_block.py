"""BidirectionalMultimodalBlock: pre-LN IRENE block over any number of modalities."""

import keras
import numpy as np

from keras_multimodal.layers.bidirectional_multimodal_block import BidirectionalMultimodalBlock


def inputs(seed=0):
    rng = np.random.default_rng(seed)
    return {n: rng.normal(size=(2, length, 8)).astype("float32") for n, length in (("img", 4), ("tab", 2), ("txt", 3))}


MASKS = {"img": np.ones((2, 4), bool), "tab": np.array([[1, 1], [0, 0]], bool), "txt": np.array([[1, 1, 0], [1, 0, 0]], bool)}


def test_shapes_parameters_and_padding_left_unchanged():
    block = BidirectionalMultimodalBlock(num_heads=2, key_dim=4, mlp_dim=16)
    x = inputs()
    out = block(x, masks=MASKS)
    assert {n: tuple(v.shape) for n, v in out.items()} == {n: v.shape for n, v in x.items()}
    attention = 3 * 3 * (8 * 8 + 8) + (8 * 8 + 8)
    per_modality = 2 * 2 * 8 + (8 * 16 + 16) + (16 * 8 + 8)  # two LayerNorms and the MLP
    assert block.count_params() == attention + 3 * per_modality
    for name, mask in MASKS.items():
        np.testing.assert_array_equal(np.asarray(out[name])[~mask], x[name][~mask])
        assert np.abs(np.asarray(out[name])[mask] - x[name][mask]).max() > 1e-3
    wider = BidirectionalMultimodalBlock(num_heads=2, key_dim=4, mlp_dim=32)
    wider(x)
    assert wider.count_params() == attention + 3 * (per_modality + 8 * 16 + 16 * 8 + 16)


def test_options_reach_the_attention():
    x = inputs(1)
    keras.utils.set_random_seed(0)
    mean = BidirectionalMultimodalBlock(num_heads=2, key_dim=4, mlp_dim=16)
    keras.utils.set_random_seed(0)
    joint = BidirectionalMultimodalBlock(num_heads=2, key_dim=4, mlp_dim=16, combine="joint")
    mean(x), joint(x)
    joint.set_weights(mean.get_weights())
    assert np.abs(np.asarray(mean(x)["img"]) - np.asarray(joint(x)["img"])).max() > 1e-4
    gated = BidirectionalMultimodalBlock(num_heads=2, key_dim=4, mlp_dim=16, combine="gated", share_output_projection=False, include_self=False)
    gated(x)
    assert gated.attention.routes["img"] == ["tab", "txt"] and set(gated.attention.output_dense) == {"img", "tab", "txt"}
    dropped = BidirectionalMultimodalBlock(num_heads=2, key_dim=4, mlp_dim=16, dropout=0.5, seed=1)
    dropped(x)
    assert np.abs(np.asarray(dropped(x, training=True)["img"]) - np.asarray(dropped(x)["img"])).max() > 1e-3


def test_keras_round_trip_and_mixed_precision(tmp_path):
    symbolic = {n: keras.Input(v.shape[1:]) for n, v in inputs().items()}
    masks = {n: keras.Input(m.shape[1:], dtype="bool") for n, m in MASKS.items()}
    block = BidirectionalMultimodalBlock(num_heads=2, key_dim=4, mlp_dim=16, combine="gated", pairs=[("img", "txt"), ("txt", "img"), ("tab", "img")])
    model = keras.Model({"x": symbolic, "m": masks}, block(symbolic, masks=masks))
    data = {"x": inputs(2), "m": MASKS}
    out = model(data)
    model.save(tmp_path / "b.keras")
    loaded = keras.saving.load_model(tmp_path / "b.keras", safe_mode=True)
    for name, value in loaded(data).items():
        np.testing.assert_allclose(np.asarray(value), np.asarray(out[name]), atol=1e-6)
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        half = BidirectionalMultimodalBlock(num_heads=2, key_dim=4, mlp_dim=16)
        result = half(inputs(3), masks=MASKS, presence={"img": np.array([0, 1]), "tab": np.ones(2), "txt": np.ones(2)})
        for value in result.values():
            assert np.all(np.isfinite(np.asarray(value, "float32")))
    finally:
        keras.mixed_precision.set_global_policy("float32")
