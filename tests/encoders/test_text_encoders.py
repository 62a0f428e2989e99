"""The recurrent, convolutional and transformer text encoders: pooling, masking, and every option."""

import keras
import numpy as np
import pytest

from keras_multimodal.data.preprocessor import Preprocessor
from keras_multimodal.encoders import get_encoder
from keras_multimodal.encoders.registry import ENCODERS
from keras_multimodal.models.builder import build_model
from keras_multimodal.specs.spec import Spec

NAMES = ("bilstm", "gru", "cnn1d", "transformer")
SMALL = {
    "bilstm": {"embedding_dim": 8, "units": 6},
    "gru": {"embedding_dim": 8, "units": 6},
    "cnn1d": {"embedding_dim": 8, "filters": [6, 6], "kernel_size": 3},
    "transformer": {"embedding_dim": 8, "num_heads": 2, "intermediate_dim": 12, "num_layers": 1},
}
# Each spec option with a value other than SMALL's default.
OPTIONS = [
    ("bilstm", "embedding_dim", 4),
    ("bilstm", "units", 3),
    ("gru", "embedding_dim", 4),
    ("gru", "units", 3),
    ("cnn1d", "embedding_dim", 4),
    ("cnn1d", "filters", [6, 5, 4]),
    ("cnn1d", "kernel_size", 5),
    ("cnn1d", "pooling", "mean"),
    ("transformer", "embedding_dim", 12),
    ("transformer", "num_layers", 2),
    ("transformer", "num_heads", 4),
    ("transformer", "intermediate_dim", 6),
] + [(name, "vocabulary_size", 30) for name in NAMES]
LENGTH = 10


def tokens(batch=4, length=LENGTH, seed=0):
    ids = np.random.default_rng(seed).integers(1, 20, (batch, length)).astype("int32")
    ids[0] = 0  # absent text
    ids[1, 3:] = 0
    ids[2, 7:] = 0
    return ids


def encode(name, ids=None, training=False, **options):
    """(encoder, outputs as NumPy) for a batch of token ids; the encoder is built on LENGTH."""
    kwargs = {"vocabulary_size": 20, "dropout": 0.0, **SMALL[name], **options}
    encoder = get_encoder(name, **kwargs)
    encoder.build((None, LENGTH))
    out = encoder(tokens() if ids is None else ids, training=training)
    return encoder, {k: np.asarray(v) for k, v in out.items()}


@pytest.mark.parametrize("name", NAMES)
def test_padding_and_other_rows_do_not_change_a_text(name):
    encoder, out = encode(name)
    # Rows 0-2 have at most 7 real tokens: cutting padding, or adding some, changes nothing.
    short = np.asarray(encoder(tokens()[:, :7])["pooled"])
    np.testing.assert_allclose(short[:3], out["pooled"][:3], atol=1e-5)
    if name != "transformer":  # its position table has LENGTH rows
        longer = np.asarray(encoder(np.pad(tokens(), ((0, 0), (0, 4))))["pooled"])
        np.testing.assert_allclose(longer, out["pooled"], atol=1e-5)
    alone = np.asarray(encoder(tokens()[2:3])["pooled"])
    np.testing.assert_allclose(alone, out["pooled"][2:3], atol=1e-5)
    assert np.all(np.isfinite(out["pooled"])) and out["pooled"].shape == (4, encoder.output_dim)
    np.testing.assert_array_equal(out["token_mask"], (tokens() != 0).astype("float32"))
    # A real token does count.
    changed = tokens()
    changed[1, 1] = changed[1, 1] % 19 + 1
    assert not np.allclose(np.asarray(encoder(changed)["pooled"])[1], out["pooled"][1])


def test_recurrent_pooled_is_the_state_after_the_last_real_token():
    _, out = encode("gru")
    np.testing.assert_allclose(out["pooled"][1], out["tokens"][1, 2], atol=1e-6)
    np.testing.assert_allclose(out["pooled"][2], out["tokens"][2, 6], atol=1e-6)
    _, out = encode("bilstm")
    units = SMALL["bilstm"]["units"]
    # Forward half: state at the last real token; backward half: state at the first.
    np.testing.assert_allclose(out["pooled"][2, :units], out["tokens"][2, 6, :units], atol=1e-6)
    np.testing.assert_allclose(out["pooled"][2, units:], out["tokens"][2, 0, units:], atol=1e-6)
    np.testing.assert_allclose(out["pooled"][0], 0.0)


@pytest.mark.parametrize("name,pooling", [("cnn1d", "max"), ("cnn1d", "mean"), ("transformer", "mean")])
def test_pooled_is_the_masked_pool_of_the_tokens(name, pooling):
    options = {"pooling": pooling} if name == "cnn1d" else {}
    _, out = encode(name, **options)
    mask = out["token_mask"][..., None]
    if pooling == "max":
        expected = np.where(mask > 0, out["tokens"], -np.inf).max(axis=1)
    else:
        expected = (out["tokens"] * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1)
    np.testing.assert_allclose(out["pooled"][1:], expected[1:], atol=1e-6)
    np.testing.assert_allclose(out["pooled"][0], 0.0)  # an absent text pools to zeros


def _structure(encoder):
    return [tuple(w.shape) for w in encoder.weights]


@pytest.mark.parametrize("name,option,value", OPTIONS)
def test_every_size_option_changes_the_layer_or_its_output(name, option, value):
    base, out = encode(name)
    other = get_encoder(name, **{"vocabulary_size": 20, "dropout": 0.0, **SMALL[name], option: value})
    other.build((None, LENGTH))
    assert getattr(other, option) != getattr(base, option)
    if _structure(other) != _structure(base):
        return
    other.set_weights(base.get_weights())  # same weights: only the option differs
    assert not np.allclose(np.asarray(other(tokens())["pooled"]), out["pooled"])


@pytest.mark.parametrize("name", NAMES)
def test_dropout_and_l2_options(name):
    encoder, plain = encode(name)  # dropout 0: training changes nothing
    np.testing.assert_allclose(np.asarray(encoder(tokens(), training=True)["pooled"]), plain["pooled"], atol=1e-6)
    encoder, _ = encode(name, dropout=0.5)
    noisy = np.asarray(encoder(tokens(), training=True)["pooled"])
    assert not np.allclose(noisy, np.asarray(encoder(tokens(), training=False)["pooled"]))
    assert get_encoder(name, vocabulary_size=20, **SMALL[name]).losses == []
    inputs = keras.Input((LENGTH,), dtype="int32")
    model = keras.Model(inputs, get_encoder(name, vocabulary_size=20, l2=0.01, **SMALL[name])(inputs))
    assert len(model.losses) >= 2 and float(sum(model.losses)) > 0


def test_cnn1d_rejects_an_unknown_pooling():
    with pytest.raises(ValueError, match="pooling"):
        get_encoder("cnn1d", vocabulary_size=20, pooling="sum")


@pytest.mark.parametrize("name", NAMES)
def test_mixed_float16_gives_finite_outputs(name):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        encoder, out = encode(name)
        assert encoder.compute_dtype == "float16"
        for value in out.values():
            assert np.all(np.isfinite(value.astype("float32")))
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("name", NAMES)
def test_the_builder_passes_the_vocabulary_and_spec_options(name):
    raw = {
        "name": "t",
        "data": {"table": "t.csv", "root": "."},
        "target": {"column": "y", "task": "binary", "positive": ["1"]},
        "inputs": {"txt": {"type": "text", "column": "t", "sequence_length": LENGTH}},
        "model": {"encoders": {"txt": {"name": name, **SMALL[name]}}, "dropout": 0.3},
    }
    fitted = Preprocessor(
        {
            "txt": {"type": "text", "vocabulary": ["", "[UNK]", "a", "b", "c"], "sequence_length": LENGTH, "standardize": "lower"},
            "__target__": {"classes": ["0", "1"]},
        }
    )
    encoder = build_model(Spec.from_dict(raw), fitted).get_layer("txt_encoder")
    assert type(encoder) is ENCODERS.get_class(name)
    assert encoder.vocabulary_size == 5 and encoder.dropout == 0.3
    assert encoder.embedding_dim == SMALL[name]["embedding_dim"]
