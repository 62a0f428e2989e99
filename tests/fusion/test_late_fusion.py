"""`late` fusion: per-modality heads, each combiner checked against NumPy."""

import numpy as np
import pytest
from pooled_fusion_checks import BATCH
from pooled_fusion_checks import NONE_PRESENT
from pooled_fusion_checks import build
from pooled_fusion_checks import check_absent_ignored
from pooled_fusion_checks import check_batch_independent
from pooled_fusion_checks import check_mixed_precision
from pooled_fusion_checks import check_round_trip
from pooled_fusion_checks import copy_weights
from pooled_fusion_checks import flags_matrix
from pooled_fusion_checks import predict
from pooled_fusion_checks import sample

from keras_multimodal.fusion import get_fusion
from keras_multimodal.fusion.late_fusion import LateFusion

CASES = [  # (combiner, activation, output units)
    ("mean", "sigmoid", 1),
    ("max", "sigmoid", 2),
    ("product", "sigmoid", 2),
    ("learned", "sigmoid", 1),
    ("mean", "softmax", 3),
    ("max", "softmax", 3),
    ("product", "softmax", 3),
    ("learned", "softmax", 3),
    ("mean", "linear", 1),
    ("learned", "linear", 2),
]
EQUAL = {"a": 3, "b": 3, "c": 3}  # equal widths so an identity hidden layer passes inputs through


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def hand_set(fusion, rng):
    """Identity hidden layers and random output layers: logits = x @ K + b, returned per modality."""
    params = []
    for hidden, decision in zip(fusion.hidden, fusion.decisions):
        hidden.set_weights([np.eye(3, dtype="float32"), np.zeros(3, "float32")])
        kernel = rng.normal(size=(3, fusion.output_units)).astype("float32")
        bias = rng.normal(size=fusion.output_units).astype("float32")
        decision.set_weights([kernel, bias])
        params.append((kernel, bias))
    return params


def oracle(combiner, activation, logits, flags, theta=None):
    """Row-by-row NumPy combination, in probability space, float64."""
    units = logits.shape[-1]
    out = []
    for row in range(logits.shape[1]):
        here = [m for m in range(logits.shape[0]) if flags[row, m]]
        prior = {"sigmoid": np.full(units, 0.5), "softmax": np.full(units, 1 / units), "linear": np.zeros(units)}[activation]
        if not here:
            out.append(prior)
            continue
        z = logits[here, row].astype("float64")
        p = {"sigmoid": sigmoid, "softmax": softmax, "linear": lambda v: v}[activation](z)
        if combiner == "mean":
            value = p.mean(0)
        elif combiner == "learned":
            weights = np.exp(theta[here]) / np.exp(theta[here]).sum(0)
            value = (weights * p).sum(0)
            value = value / value.sum() if activation == "softmax" else value
        elif combiner == "product" and activation == "sigmoid":
            value = p.prod(0) / (p.prod(0) + (1 - p).prod(0))
        elif combiner == "product":
            value = p.prod(0) / p.prod(0).sum()
        elif activation == "sigmoid":  # max rule over (p, 1 - p)
            value = p.max(0) / (p.max(0) + (1 - p).max(0))
        else:
            value = p.max(0) / p.max(0).sum()
        out.append(value)
    return np.array(out)


@pytest.mark.parametrize("combiner,activation,units", CASES)
def test_each_combiner_matches_numpy(combiner, activation, units):
    rng = np.random.default_rng(7)
    per_unit = combiner == "learned" and units > 1
    fusion = get_fusion("late", combiner=combiner, output_activation=activation, output_units=units, units=3, weights_per_unit=per_unit)
    model = build(fusion, EQUAL)
    params = hand_set(fusion, rng)
    theta = None
    if combiner == "learned":
        theta = rng.normal(size=tuple(fusion.combination_logits.shape)).astype("float32")
        fusion.combination_logits.assign(theta)
    inputs = sample(5, EQUAL, low=0.1)  # positive, so the identity relu layer is exact
    logits = np.stack([inputs["f"][n]["pooled"] @ k + b for n, (k, b) in zip(fusion.names, params)])
    expected = oracle(combiner, activation, logits, flags_matrix(inputs, fusion.names), theta)
    np.testing.assert_allclose(predict(model, inputs), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("activation,units", [("sigmoid", 1), ("softmax", 3)])
def test_product_is_stable_in_log_space(activation, units):
    fusion = get_fusion("late", combiner="product", output_activation=activation, output_units=units, units=3)
    model = build(fusion, EQUAL)
    for decision in fusion.decisions:  # confident heads: probabilities underflow float32
        decision.set_weights([np.zeros((3, units), "float32"), np.linspace(-120, 120, units).astype("float32") - (60 if units == 1 else 0)])
    out = predict(model, sample(5, EQUAL))
    assert np.all(np.isfinite(out)) and np.all((out >= 0) & (out <= 1))
    if activation == "softmax":
        np.testing.assert_allclose(out.sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("combiner,activation,units", CASES)
def test_contract(combiner, activation, units, tmp_path):
    make = lambda: get_fusion("late", combiner=combiner, output_activation=activation, output_units=units)  # noqa: E731
    model = build(make())
    out = check_absent_ignored(model)
    assert out.shape == (BATCH, units)
    prior = {"sigmoid": 0.5, "softmax": 1 / units, "linear": 0.0}[activation]
    np.testing.assert_allclose(out[NONE_PRESENT], prior, atol=1e-6)
    check_batch_independent(model)
    check_mixed_precision(make)
    if combiner == "learned":
        check_round_trip(model, tmp_path / "late.keras")


def test_outputs_follow_the_activation():
    inputs = sample(6)
    sig = predict(build(get_fusion("late", output_units=2, output_activation="sigmoid")), inputs)
    soft = predict(build(get_fusion("late", output_units=3, output_activation="softmax")), inputs)
    assert sig.shape == (BATCH, 2) and np.all((sig > 0) & (sig < 1))
    assert soft.shape == (BATCH, 3)
    np.testing.assert_allclose(soft.sum(-1), 1.0, atol=1e-5)


def test_combiner_changes_the_output():
    inputs = sample(6)
    reference = get_fusion("late", combiner="mean", output_units=3, output_activation="softmax")
    out = {"mean": predict(build(reference), inputs)}
    for combiner in ("max", "product", "learned"):
        fusion = get_fusion("late", combiner=combiner, output_units=3, output_activation="softmax")
        model = build(fusion)
        for source, target in zip(reference.hidden + reference.decisions, fusion.hidden + fusion.decisions):
            copy_weights(source, target)
        if combiner == "learned":
            fusion.combination_logits.assign([[1.0], [0.0], [-1.0]])
        out[combiner] = predict(model, inputs)
    for a in out:
        for b in out:
            if a < b:
                assert not np.allclose(out[a][0], out[b][0], atol=1e-5), (a, b)


def test_size_dropout_l2_and_weight_options_change_the_layer():
    small, large = get_fusion("late", units=4), get_fusion("late", units=16)
    build(small), build(large)
    assert small.hidden[0].kernel.shape[-1] == 4 and build(large).count_params() > build(small).count_params()
    inputs = sample(6)
    dropped = build(get_fusion("late", dropout=0.5))
    assert not np.allclose(predict(dropped, inputs, training=True), predict(dropped, inputs))
    kept = build(get_fusion("late", dropout=0.0))
    np.testing.assert_allclose(predict(kept, inputs, training=True), predict(kept, inputs), atol=1e-6)
    assert len(build(get_fusion("late", l2=0.01)).losses) > 0 and not build(get_fusion("late")).losses
    scalar = get_fusion("late", combiner="learned", output_units=3, output_activation="softmax")
    per_unit = get_fusion("late", combiner="learned", output_units=3, output_activation="softmax", weights_per_unit=True)
    build(scalar), build(per_unit)
    assert tuple(scalar.combination_logits.shape) == (3, 1) and tuple(per_unit.combination_logits.shape) == (3, 3)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"combiner": "max", "output_activation": "linear"}, "cannot combine a linear"),
        ({"combiner": "product", "output_activation": "linear"}, "cannot combine a linear"),
        ({"combiner": "vote"}, "Expected one of"),
        ({"output_activation": "relu"}, "Expected one of"),
        ({"combiner": "mean", "weights_per_unit": True}, "needs combiner='learned'"),
    ],
)
def test_invalid_options_raise_at_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LateFusion(**kwargs)
