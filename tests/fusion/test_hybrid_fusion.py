"""`hybrid` fusion: a fused head plus per-modality heads, combined by learned weights."""

import numpy as np
import pytest
from pooled_fusion_checks import BATCH
from pooled_fusion_checks import NONE_PRESENT
from pooled_fusion_checks import build
from pooled_fusion_checks import check_absent_ignored
from pooled_fusion_checks import check_batch_independent
from pooled_fusion_checks import check_mixed_precision
from pooled_fusion_checks import check_round_trip
from pooled_fusion_checks import flags_matrix
from pooled_fusion_checks import np_masked_softmax
from pooled_fusion_checks import predict
from pooled_fusion_checks import sample

from keras_multimodal.errors import SpecError
from keras_multimodal.fusion import get_fusion
from keras_multimodal.fusion.hybrid_fusion import HybridFusion
from keras_multimodal.fusion.late_fusion import LateFusion


def relu(x):
    return np.maximum(x, 0)


def head(hidden, decision, x):
    kernel, bias = hidden.get_weights()
    out_kernel, out_bias = decision.get_weights()
    return relu(x @ kernel + bias) @ out_kernel + out_bias


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("activation,units", [("softmax", 3), ("sigmoid", 1), ("linear", 1)])
def test_output_matches_numpy(activation, units):
    fusion = get_fusion("hybrid", output_units=units, output_activation=activation, units=8, weights_per_unit=units > 1)
    model = build(fusion)
    rng = np.random.default_rng(3)
    theta = rng.normal(size=tuple(fusion.combination_logits.shape)).astype("float32")
    fusion.combination_logits.assign(theta)
    inputs = sample(8)
    flags = flags_matrix(inputs, fusion.names)
    pooled = [inputs["f"][n]["pooled"] * flags[:, i : i + 1] for i, n in enumerate(fusion.names)]
    logits = [head(h, d, x) for h, d, x in zip(fusion.hidden, fusion.decisions, pooled)]
    fused_input = np.concatenate([part for i, x in enumerate(pooled) for part in (x, flags[:, i : i + 1])], axis=1)
    logits.append(head(fusion.fused_hidden, fusion.fused_decision, fused_input))
    logits = np.stack(logits, axis=1)  # (batch, M + 1, units)
    activate = {"softmax": softmax, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "linear": lambda z: z}[activation]
    mask = np.concatenate([flags, flags.max(1, keepdims=True)], axis=1)[:, :, None]
    weights = np_masked_softmax(np.broadcast_to(theta[None], (BATCH,) + theta.shape), mask, axis=1)
    expected = (weights * activate(logits)).sum(1)
    if activation == "softmax":
        expected = expected / np.maximum(expected.sum(-1, keepdims=True), 1e-12)
    prior = {"softmax": 1 / 3, "sigmoid": 0.5, "linear": 0.0}[activation]
    expected[NONE_PRESENT] = prior
    np.testing.assert_allclose(predict(model, inputs), expected, rtol=1e-4, atol=1e-5)


def test_the_fused_head_is_one_more_decision():
    fusion = get_fusion("hybrid", output_units=2, output_activation="softmax")
    model = build(fusion)
    assert isinstance(fusion, LateFusion) and fusion.produces_output
    assert tuple(fusion.combination_logits.shape) == (4, 1)  # a, b, c and the fused head
    # All weight on the fused head: the output is the fused head's alone.
    fusion.combination_logits.assign([[-50.0], [-50.0], [-50.0], [50.0]])
    inputs = sample(9)
    flags = flags_matrix(inputs, fusion.names)
    pooled = [inputs["f"][n]["pooled"] * flags[:, i : i + 1] for i, n in enumerate(fusion.names)]
    fused_input = np.concatenate([part for i, x in enumerate(pooled) for part in (x, flags[:, i : i + 1])], axis=1)
    expected = softmax(head(fusion.fused_hidden, fusion.fused_decision, fused_input))
    expected[NONE_PRESENT] = 0.5
    np.testing.assert_allclose(predict(model, inputs), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("activation,units", [("softmax", 2), ("sigmoid", 1), ("linear", 1)])
def test_contract(activation, units, tmp_path):
    make = lambda: get_fusion("hybrid", output_units=units, output_activation=activation)  # noqa: E731
    model = build(make())
    out = check_absent_ignored(model)
    assert out.shape == (BATCH, units)
    np.testing.assert_allclose(out[NONE_PRESENT], {"softmax": 0.5, "sigmoid": 0.5, "linear": 0.0}[activation], atol=1e-6)
    check_batch_independent(model)
    check_mixed_precision(make)
    check_round_trip(model, tmp_path / "hybrid.keras")


def test_options_change_the_layer():
    small, large = get_fusion("hybrid", units=4), get_fusion("hybrid", units=16)
    assert build(large).count_params() > build(small).count_params()
    assert small.fused_hidden.kernel.shape == (4 + 3 + 5 + 3, 4)
    inputs = sample(6)
    dropped = build(get_fusion("hybrid", dropout=0.5))
    assert not np.allclose(predict(dropped, inputs, training=True), predict(dropped, inputs))
    kept = build(get_fusion("hybrid", dropout=0.0))
    np.testing.assert_allclose(predict(kept, inputs, training=True), predict(kept, inputs), atol=1e-6)
    assert len(build(get_fusion("hybrid", l2=0.01)).losses) == 8 and not build(get_fusion("hybrid")).losses
    per_unit = get_fusion("hybrid", output_units=3, output_activation="softmax", weights_per_unit=True)
    build(per_unit)
    assert tuple(per_unit.combination_logits.shape) == (4, 3)
    assert build(get_fusion("hybrid", output_units=3, output_activation="softmax")).output_shape == (None, 3)


def test_combiner_is_not_an_option():
    assert "combiner" not in HybridFusion().get_config()
    with pytest.raises(SpecError, match="takes no option 'combiner'"):
        get_fusion("hybrid", combiner="mean")
