"""Shared checks for the fusions that combine pooled vectors (late, hybrid, attention, multihead, gated).

Three modalities with different widths; the rows cover every presence pattern
that matters: all present, two, one, and none (row 4).
"""

import keras
import numpy as np

DIMS = {"a": 4, "b": 3, "c": 5}
FLAGS = {"a": [1, 1, 0, 1, 0, 0], "b": [1, 0, 1, 1, 0, 1], "c": [1, 1, 1, 0, 0, 0]}
BATCH = 6
NONE_PRESENT = 4


def build(fusion, dims=DIMS):
    """A functional model `{"f": features, "p": present} -> fusion output`."""
    features = {k: {"pooled": keras.Input((d,))} for k, d in dims.items()}
    present = {k: keras.Input((1,)) for k in dims}
    return keras.Model({"f": features, "p": present}, fusion(features, present))


def sample(seed=0, dims=DIMS, flags=FLAGS, low=None):
    """Inputs for `build`'s model: normal values (uniform in [low, 1] if `low` is set)."""
    rng = np.random.default_rng(seed)
    batch = len(next(iter(flags.values())))

    def draw(d):
        values = rng.normal(size=(batch, d)) if low is None else rng.uniform(low, 1.0, size=(batch, d))
        return values.astype("float32")

    return {
        "f": {k: {"pooled": draw(d)} for k, d in dims.items()},
        "p": {k: np.asarray(flags[k], "float32")[:, None] for k in dims},
    }


def with_absent(inputs, value):
    """A copy with every absent row's pooled vector replaced by `value` (garbage: big numbers, NaN)."""
    features = {}
    for name, parts in inputs["f"].items():
        absent = inputs["p"][name][:, 0] == 0
        pooled = parts["pooled"].copy()
        pooled[absent] = value
        features[name] = {"pooled": pooled}
    return {"f": features, "p": inputs["p"]}


def predict(model, inputs, training=False):
    return np.asarray(model(inputs, training=training))


def rows(inputs, index):
    """The sub-batch `inputs[index]` (index: a slice or an index array)."""
    return {
        "f": {k: {"pooled": v["pooled"][index]} for k, v in inputs["f"].items()},
        "p": {k: v[index] for k, v in inputs["p"].items()},
    }


def check_absent_ignored(model):
    """Absent modalities' values (huge, NaN) never change the output; the all-absent row is finite."""
    inputs = sample(1)
    out = predict(model, inputs)
    assert np.all(np.isfinite(out))
    for garbage in (1e3, -1e3, np.nan):
        np.testing.assert_allclose(predict(model, with_absent(inputs, garbage)), out, atol=1e-5)
    # ... while present modalities do change it (row 0 has all three). All three move, and
    # each by a random direction: one modality can be ignored legitimately (a `max` combiner
    # that another modality dominates, or a hidden ReLU layer dead on that row).
    moved, rng = sample(1), np.random.default_rng(11)
    for parts in moved["f"].values():
        parts["pooled"][0] += 2.0 * rng.normal(size=parts["pooled"].shape[1])
    assert not np.allclose(predict(model, moved)[0], out[0], atol=1e-6)
    return out


def check_batch_independent(model):
    """Each row's output is the same alone, in the batch, and in a permuted batch."""
    inputs = sample(2)
    out = predict(model, inputs)
    for i in range(BATCH):
        np.testing.assert_allclose(predict(model, rows(inputs, slice(i, i + 1))), out[i : i + 1], atol=1e-5)
    order = np.array([5, 3, 0, 4, 1, 2])
    np.testing.assert_allclose(predict(model, rows(inputs, order)), out[order], atol=1e-5)


def check_round_trip(model, path):
    """Config round trip and `.keras` save/load (safe mode) give identical outputs."""
    fusion = next(layer for layer in model.layers if hasattr(layer, "names"))
    clone = type(fusion).from_config(fusion.get_config())
    assert clone.get_config() == fusion.get_config()
    inputs = sample(3)
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(predict(loaded, inputs), predict(model, inputs), atol=1e-6)


def check_mixed_precision(make_fusion):
    """Under mixed_float16 the outputs are finite, with garbage in absent rows and in training mode."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build(make_fusion())
        inputs = with_absent(sample(4), 1e3)
        for training in (False, True):
            assert np.all(np.isfinite(predict(model, inputs, training=training)))
    finally:
        keras.mixed_precision.set_global_policy("float32")


def copy_weights(source, target):
    """Give `target` (built, same variable shapes) the weights of `source`."""
    target.set_weights(source.get_weights())
    return target


def np_masked_softmax(logits, mask, axis):
    logits = np.where(mask > 0, logits, -np.inf)
    top = np.max(np.where(mask > 0, logits, -1e30), axis=axis, keepdims=True)
    e = np.where(mask > 0, np.exp(logits - top), 0.0)
    total = e.sum(axis=axis, keepdims=True)
    return np.where(total > 0, e / np.where(total > 0, total, 1.0), 0.0)


def flags_matrix(inputs, names):
    """`(batch, M)` float64 flags in the given name order."""
    return np.concatenate([inputs["p"][n] for n in names], axis=1).astype("float64")
