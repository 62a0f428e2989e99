"""Image encoders `backbone` (keras.applications) and `patches` (ViT): options, freezing, weights."""

import keras
import numpy as np
import pytest

from keras_multimodal.encoders import get_encoder
from keras_multimodal.encoders.image_backbone_encoder import ImageBackboneEncoder

RNG = np.random.default_rng(0)
GREY = RNG.random((2, 32, 32, 1)).astype("float32")
RGB = RNG.random((2, 32, 32, 3)).astype("float32")


def run(encoder, images=GREY, training=False):
    return {k: np.asarray(v) for k, v in encoder(images, training=training).items()}


def head_model(encoder):
    inputs = keras.Input((32, 32, 1))
    model = keras.Model(inputs, keras.layers.Dense(1)(encoder(inputs)["pooled"]))
    # Eager steps: tracing a backbone's training graph would cost seconds per test.
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", run_eagerly=True)
    return model


@pytest.fixture(scope="module")
def vgg_weights(tmp_path_factory):
    """Random VGG16 weights saved to a local file, as a user's pretrained file would be."""
    path = tmp_path_factory.mktemp("weights") / "w.weights.h5"
    model = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    model.save_weights(path)
    return path, [np.asarray(w) for w in model.weights]


# --- cnn ----------------------------------------------------------------------


def test_cnn_without_projection_pools_the_last_feature_map(tmp_path):
    encoder = get_encoder("cnn", filters=(4, 6), output_dim=None, dropout=0.0)
    out = run(encoder)
    assert encoder.projection is None and out["pooled"].shape == (2, 6) and out["tokens"].shape == (2, 64, 6)
    np.testing.assert_allclose(out["pooled"], out["tokens"].mean(axis=1), atol=1e-6)
    projected = get_encoder("cnn", filters=(4, 6), output_dim=5)
    assert run(projected)["pooled"].shape == (2, 5) and projected.count_params() > encoder.count_params()
    inputs = keras.Input((32, 32, 1))
    model = keras.Model(inputs, encoder(inputs)["pooled"])
    model.save(tmp_path / "cnn.keras")
    loaded = keras.saving.load_model(tmp_path / "cnn.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(GREY)), out["pooled"], atol=1e-6)


# --- backbone -----------------------------------------------------------------


@pytest.mark.parametrize(
    "architecture, channels",
    [("vgg16", 512), ("resnet50", 2048), ("efficientnetb0", 1280), ("mobilenetv3small", 576), ("mobilenetv2", 1280)],
)
def test_backbone_architectures_give_their_feature_maps(architecture, channels):
    encoder = get_encoder("backbone", architecture=architecture)
    out = run(encoder)
    assert encoder.output_dim == channels
    assert out["pooled"].shape == (2, channels) and out["tokens"].shape == (2, 1, channels)
    assert np.all(out["token_mask"] == 1) and np.all(np.isfinite(out["pooled"]))


def test_backbone_rejects_unknown_architecture_channels_and_downloads(tmp_path):
    with pytest.raises(ValueError, match="architecture.*mobilenetv3small.*vgg16"):
        get_encoder("backbone", architecture="vgg17")
    with pytest.raises(ValueError, match="local `.weights.h5`"):
        get_encoder("backbone", weights="imagenet")
    with pytest.raises(FileNotFoundError):
        get_encoder("backbone", weights=str(tmp_path / "nope.weights.h5"))
    with pytest.raises(ValueError, match="freeze"):
        get_encoder("backbone", freeze="some")
    with pytest.raises(ValueError, match="exceeds"):
        get_encoder("backbone", architecture="vgg16", freeze=1000)
    with pytest.raises(ValueError, match="1 or 3 channels"):
        get_encoder("backbone", architecture="vgg16")(np.zeros((1, 32, 32, 2), "float32"))
    with pytest.raises(ValueError, match="at least 32x32"):
        get_encoder("backbone", architecture="vgg16")(np.zeros((1, 16, 32, 3), "float32"))
    with pytest.raises(ValueError, match="keras.Model"):
        get_encoder("backbone", backbone={"class_name": "VGG16"})


def test_backbone_loads_local_weights_and_saves_them_in_the_keras_file(vgg_weights, tmp_path):
    path, expected = vgg_weights
    encoder = get_encoder("backbone", architecture="vgg16", weights=str(path), freeze="none")
    for got, want in zip(encoder.backbone.weights, expected):
        np.testing.assert_array_equal(np.asarray(got), want)
    random = get_encoder("backbone", architecture="vgg16")
    assert not np.allclose(np.asarray(random.backbone.weights[0]), expected[0])
    inputs = keras.Input((32, 32, 1))
    model = keras.Model(inputs, encoder(inputs))
    out = model(GREY)
    model.save(tmp_path / "m.keras")
    moved = path.rename(tmp_path / "moved.weights.h5")  # the .keras file must not need the weights file
    try:
        loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    finally:
        moved.rename(path)
    for key, value in loaded(GREY).items():
        np.testing.assert_allclose(np.asarray(value), np.asarray(out[key]), atol=1e-6)


def test_backbone_freeze_all_none_first_n(vgg_weights):
    path = str(vgg_weights[0])

    def trainable(**kwargs):
        return len(get_encoder("backbone", architecture="vgg16", **kwargs).backbone.trainable_weights)

    assert trainable() == 26  # random weights default to trainable
    assert trainable(weights=path) == 0  # pretrained weights default to frozen
    assert trainable(weights=path, freeze="none") == 26
    assert trainable(freeze="all") == 0
    assert trainable(freeze=4) == 26 - 4  # input, block1_conv1, block1_conv2 (kernel + bias each), block1_pool


def test_backbone_fit_step_leaves_frozen_layers_unchanged(tmp_path):
    encoder = get_encoder("backbone", architecture="vgg16", freeze=4, dropout=0.0)  # input + block1 (2 convs) + pool
    frozen = {layer.name for layer in encoder.backbone.layers[:4]}
    before = {v.path: np.asarray(v) for v in encoder.backbone.weights}
    model = head_model(encoder)
    model.fit(GREY, np.ones((2, 1), "float32"), epochs=1, verbose=0)
    changed = {v.path for v in encoder.backbone.weights if not np.array_equal(np.asarray(v), before[v.path])}
    assert changed and all(p.split("/")[-2] not in frozen for p in changed)
    assert any(p.split("/")[-2] == "block2_conv1" for p in changed)
    # The freeze survives a .keras round trip.
    model.save(tmp_path / "f.keras")
    loaded = keras.saving.load_model(tmp_path / "f.keras", safe_mode=True)
    assert len(loaded.trainable_weights) == len(model.trainable_weights)


def test_backbone_scales_inputs_like_the_application_and_repeats_grey():
    encoder = get_encoder("backbone", architecture="vgg16")
    expected = encoder.backbone(keras.applications.vgg16.preprocess_input(np.repeat(GREY, 3, axis=-1) * 255.0))
    np.testing.assert_allclose(run(encoder)["tokens"][:, 0], np.asarray(expected)[:, 0, 0], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(run(encoder, np.repeat(GREY, 3, axis=-1))["pooled"], run(encoder)["pooled"], atol=1e-5)


def test_backbone_output_dim_dropout_l2():
    plain = get_encoder("backbone", architecture="vgg16", dropout=0.0)
    assert run(plain)["pooled"].shape == (2, 512) and plain.output_dim == 512
    np.testing.assert_allclose(run(plain, training=True)["pooled"], run(plain)["pooled"], atol=1e-5)
    assert head_model(plain).losses == []
    tuned = get_encoder("backbone", architecture="vgg16", output_dim=8, dropout=0.5, l2=0.01)
    assert run(tuned)["pooled"].shape == (2, 8) and tuned.output_dim == 8
    assert not np.allclose(run(tuned, training=True)["pooled"], run(tuned)["pooled"])
    penalised = head_model(tuned)
    assert len(penalised.losses) == 14 and float(sum(penalised.losses)) > 0  # 13 conv kernels + projection
    frozen = head_model(get_encoder("backbone", architecture="vgg16", l2=0.01, freeze="all", output_dim=4))
    assert len(frozen.losses) == 1  # frozen kernels carry no penalty; the projection does


def test_backbone_accepts_a_prebuilt_model():
    model = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    encoder = get_encoder("backbone", architecture="vgg16", backbone=model)
    assert encoder.backbone is model


# --- patches -----------------------------------------------------------------


def patches(**kwargs):
    kwargs.setdefault("dropout", 0.0)
    return get_encoder("patches", **kwargs)


def test_patches_shapes_and_pooling():
    cls = patches()
    out = run(cls)
    assert out["tokens"].shape == (2, 16, 64) and out["pooled"].shape == (2, 64) and cls.output_dim == 64
    assert np.all(out["token_mask"] == 1)
    assert cls.position_embedding.shape == (1, 17, 64) and cls.cls_token is not None
    assert not np.allclose(out["pooled"], out["tokens"].mean(axis=1), atol=1e-4)
    mean = patches(pooling="mean")
    out = run(mean, RGB)
    assert mean.cls_token is None and mean.position_embedding.shape == (1, 16, 64)
    np.testing.assert_allclose(out["pooled"], out["tokens"].mean(axis=1), atol=1e-5)


def test_patches_every_size_option_changes_the_layer():
    base = patches()
    run(base)
    assert run(patches(patch_size=4))["tokens"].shape == (2, 64, 64)
    assert run(patches(embedding_dim=32))["pooled"].shape == (2, 32)
    sizes = {}
    for key, value in {"base": None, "num_layers": 3, "intermediate_dim": 32}.items():
        encoder = patches(**({} if value is None else {key: value}))
        run(encoder)
        sizes[key] = encoder.count_params()
    assert sizes["num_layers"] > sizes["base"] > sizes["intermediate_dim"]
    one_head = patches(num_heads=1)
    run(one_head)
    assert one_head.blocks[0]._self_attention_layer._query_dense.kernel.shape == (64, 1, 64)
    assert base.blocks[0]._self_attention_layer._query_dense.kernel.shape == (64, 4, 16)


def test_patches_dropout_and_l2():
    quiet, noisy = patches(), patches(dropout=0.5)
    run(quiet), run(noisy)
    noisy.set_weights(quiet.get_weights())
    np.testing.assert_allclose(run(noisy)["pooled"], run(quiet)["pooled"], atol=1e-5)
    assert not np.allclose(run(noisy, training=True)["pooled"], run(quiet, training=True)["pooled"])
    assert head_model(patches()).losses == []
    penalised = head_model(patches(l2=0.01))
    assert len(penalised.losses) == 1 + 2 * 6  # patchify + per block: q, k, v, o, 2 MLP kernels


def test_patches_rejects_bad_options():
    with pytest.raises(ValueError, match="patch_size=8"):
        patches()(np.zeros((1, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="pooling"):
        patches(pooling="max")
    with pytest.raises(ValueError, match="divide"):
        patches(embedding_dim=30)


@pytest.mark.parametrize(
    "name, kwargs",
    [("patches", {}), ("backbone", {"architecture": "mobilenetv3small", "output_dim": 8}), ("backbone", {"architecture": "vgg16"})],
)
def test_image_encoders_under_mixed_float16(name, kwargs):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        encoder = get_encoder(name, **kwargs)
        out = encoder(GREY, training=True)
        assert out["pooled"].dtype == "float16"
        for value in out.values():
            assert np.all(np.isfinite(np.asarray(value, dtype="float32")))
    finally:
        keras.mixed_precision.set_global_policy("float32")
