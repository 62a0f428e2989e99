"""Tabular `tokens` encoder: one token per feature, a learned token for a missing value."""

import keras
import numpy as np
import pytest

from keras_multimodal.encoders import get_encoder

RNG = np.random.default_rng(0)
NUMERIC = RNG.normal(size=(4, 3)).astype("float32")
MISSING = np.array([[1, 0, 0], [0, 0, 0], [0, 1, 1], [1, 1, 1]], "float32")
CATEGORICAL = np.array([[0, 2], [3, 1], [4, 0], [2, 3]], "int32")
DATA = {"numeric": NUMERIC * (1 - MISSING), "missing": MISSING, "categorical": CATEGORICAL}


def tokens(**kwargs):
    kwargs = {"num_numeric": 3, "category_sizes": [5, 4], "dropout": 0.0, **kwargs}
    return get_encoder("tokens", **kwargs)


def run(encoder, data=DATA, training=False):
    return {k: np.asarray(v) for k, v in encoder(data, training=training).items()}


def test_one_token_per_feature_and_pooling():
    cls = tokens()
    out = run(cls)
    assert out["tokens"].shape == (4, 5, 32) and out["pooled"].shape == (4, 32) and cls.output_dim == 32
    assert np.all(out["token_mask"] == 1)  # a missing value is a token: the learned one
    assert cls.cls_token is not None
    assert not np.allclose(out["pooled"], out["tokens"].mean(axis=1), atol=1e-4)
    mean = tokens(pooling="mean")
    out = run(mean)
    assert mean.cls_token is None
    np.testing.assert_allclose(out["pooled"], out["tokens"].mean(axis=1), atol=1e-5)


def test_missing_token_is_used_exactly_where_the_flag_is_one():
    encoder = tokens()
    run(encoder)
    raw = np.asarray(encoder._feature_tokens(DATA))[:, :3]
    w, b = np.asarray(encoder.numeric_weight), np.asarray(encoder.numeric_bias)
    missing_token = np.asarray(encoder.missing_token)
    value_tokens = DATA["numeric"][..., None] * w[None] + b[None]
    expected = np.where(MISSING[..., None] == 1, missing_token[None], value_tokens)
    np.testing.assert_allclose(raw, expected, atol=1e-6)
    # Any value under a missing flag is ignored by the whole encoder ...
    garbage = dict(DATA, numeric=DATA["numeric"] + 50.0 * MISSING)
    for key, value in run(encoder, garbage).items():
        np.testing.assert_allclose(value, run(encoder)[key], atol=1e-5)
    # ... while a present value counts.
    changed = dict(DATA, numeric=DATA["numeric"] + 1.0 * (1 - MISSING))
    assert not np.allclose(run(encoder, changed)["pooled"][:3], run(encoder)["pooled"][:3], atol=1e-4)


def test_missing_token_learns_only_from_missing_values():
    encoder = tokens()
    inputs = {"numeric": keras.Input((3,)), "missing": keras.Input((3,)), "categorical": keras.Input((2,), dtype="int32")}
    model = keras.Model(inputs, keras.layers.Dense(1)(encoder(inputs)["pooled"]))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", run_eagerly=True)
    only_first = np.zeros_like(MISSING)
    only_first[:, 0] = 1.0  # feature 0 always missing, features 1 and 2 never
    before = np.asarray(encoder.missing_token)
    model.fit(dict(DATA, missing=only_first), np.ones((4, 1), "float32"), verbose=0)
    after = np.asarray(encoder.missing_token)
    assert not np.allclose(after[0], before[0])
    np.testing.assert_array_equal(after[1:], before[1:])


def test_categories_missing_index_and_out_of_range():
    encoder = tokens(num_layers=0)
    run(encoder)
    table = np.asarray(encoder.embeddings[0].embeddings)
    feature = np.asarray(encoder.category_bias)[0]
    raw = np.asarray(encoder._feature_tokens(dict(DATA, categorical=np.array([[0, 0], [1, 0], [9, 0], [3, 0]], "int32"))))
    np.testing.assert_allclose(raw[:, 3], table[[0, 1, 1, 3]] + feature, atol=1e-6)  # 9 is unseen (1)
    assert not np.allclose(table[0], table[1])  # missing has its own learned row


def test_numeric_only_and_categorical_only():
    numeric = tokens(category_sizes=[])
    assert run(numeric, {"numeric": DATA["numeric"], "missing": MISSING})["tokens"].shape == (4, 3, 32)
    categorical = tokens(num_numeric=0)
    assert run(categorical, {"categorical": CATEGORICAL})["tokens"].shape == (4, 2, 32)
    with pytest.raises(ValueError, match="at least one"):
        tokens(num_numeric=0, category_sizes=[])
    with pytest.raises(ValueError, match="pooling"):
        tokens(pooling="max")
    with pytest.raises(ValueError, match="divide"):
        tokens(embedding_dim=30)


def test_every_size_option_changes_the_layer():
    def built(**kwargs):
        encoder = tokens(**kwargs)
        run(encoder)
        return encoder

    base = built()
    assert built(embedding_dim=16).output_dim == 16 and run(built(embedding_dim=16))["pooled"].shape == (4, 16)
    assert built(num_layers=3).count_params() > base.count_params() > built(intermediate_dim=16).count_params()
    assert len(built(num_layers=0).blocks) == 0
    assert base.blocks[0]._self_attention_layer._query_dense.kernel.shape == (32, 4, 8)
    assert built(num_heads=2).blocks[0]._self_attention_layer._query_dense.kernel.shape == (32, 2, 16)
    assert base.numeric_weight.shape == (3, 32) and built(shared_weight=True).numeric_weight.shape == (1, 32)
    wide = tokens(category_sizes=[5, 4, 7])
    three_columns = dict(DATA, categorical=np.concatenate([CATEGORICAL, CATEGORICAL[:, :1]], axis=1))
    assert run(wide, three_columns)["tokens"].shape == (4, 6, 32) and base.embeddings[1].input_dim == 4
    with pytest.raises(ValueError, match="`categorical` with 3 columns"):
        run(tokens(category_sizes=[5, 4, 7]))


def test_dropout_and_l2():
    quiet, noisy = tokens(), tokens(dropout=0.5)
    run(quiet), run(noisy)
    noisy.set_weights(quiet.get_weights())
    np.testing.assert_allclose(run(noisy)["pooled"], run(quiet)["pooled"], atol=1e-5)
    assert not np.allclose(run(noisy, training=True)["pooled"], run(quiet, training=True)["pooled"])
    assert quiet.losses == []
    penalised = tokens(l2=0.01)
    run(penalised)
    # numeric weight + 2 category tables + per block: q, k, v, o and 2 MLP kernels.
    assert len(penalised.losses) == 1 + 2 + 2 * 6 and float(sum(penalised.losses)) > 0


def test_mixed_float16_and_absent_rows_are_finite():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        encoder = tokens(dropout=0.2)
        absent = {"numeric": np.zeros((2, 3), "float32"), "missing": np.ones((2, 3), "float32"), "categorical": np.zeros((2, 2), "int32")}
        for data in (DATA, absent):
            out = encoder(data, training=True)
            assert out["pooled"].dtype == "float16"
            for value in out.values():
                assert np.all(np.isfinite(np.asarray(value, dtype="float32")))
    finally:
        keras.mixed_precision.set_global_policy("float32")
