"""`gated` fusion: gated multimodal units, gates renormalised over the present modalities."""

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
from pooled_fusion_checks import np_masked_softmax
from pooled_fusion_checks import predict
from pooled_fusion_checks import sample

from keras_multimodal.fusion import get_fusion
from keras_multimodal.fusion.gated_fusion import GatedFusion


def numpy_gmu(fusion, inputs):
    flags = flags_matrix(inputs, fusion.names)
    pooled = [inputs["f"][n]["pooled"] * flags[:, i : i + 1] for i, n in enumerate(fusion.names)]
    hidden = np.stack([np.tanh(x @ layer.get_weights()[0]) for x, layer in zip(pooled, fusion.hidden)], axis=1)
    kernel, bias = fusion.gates.get_weights()
    gate_input = np.concatenate([part for i, x in enumerate(pooled) for part in (x, flags[:, i : i + 1])], axis=1)
    logits = (gate_input @ kernel + bias).reshape(BATCH, len(fusion.names), fusion.units)
    mask = flags[:, :, None]
    if fusion.gate == "softmax":
        gates = np_masked_softmax(logits, mask, axis=1)
    else:
        gates = mask / (1 + np.exp(-logits))
        gates = gates / np.maximum(gates.sum(1, keepdims=True), 1e-12)
    return (gates * hidden).sum(1), gates


@pytest.mark.parametrize("gate", ["softmax", "sigmoid"])
def test_output_matches_numpy(gate):
    fusion = get_fusion("gated", units=6, gate=gate)
    model = build(fusion)
    inputs = sample(13)
    expected, gates = numpy_gmu(fusion, inputs)
    np.testing.assert_allclose(predict(model, inputs), expected, rtol=1e-4, atol=1e-5)
    # Gates of the present modalities sum to 1 per unit; absent ones are 0.
    flags = flags_matrix(inputs, fusion.names)
    np.testing.assert_allclose(np.delete(gates.sum(1), NONE_PRESENT, axis=0), 1.0, atol=1e-6)
    assert np.all(gates[flags == 0] == 0)


@pytest.mark.parametrize("gate", ["softmax", "sigmoid"])
def test_contract(gate, tmp_path):
    model = build(get_fusion("gated", gate=gate))
    out = check_absent_ignored(model)
    assert out.shape == (BATCH, 64)
    np.testing.assert_array_equal(out[NONE_PRESENT], 0.0)
    check_batch_independent(model)
    check_mixed_precision(lambda: get_fusion("gated", gate=gate))
    check_round_trip(model, tmp_path / "gated.keras")


def test_options_change_the_layer():
    small, large = build(get_fusion("gated", units=8)), build(get_fusion("gated", units=32))
    assert small.output_shape == (None, 8) and large.output_shape == (None, 32)
    softmax, sigmoid = get_fusion("gated", gate="softmax"), get_fusion("gated", gate="sigmoid")
    softmax_model, sigmoid_model = build(softmax), build(sigmoid)
    copy_weights(softmax, sigmoid)
    inputs = sample(14)
    assert not np.allclose(predict(softmax_model, inputs)[0], predict(sigmoid_model, inputs)[0], atol=1e-5)
    with pytest.raises(ValueError, match="Expected one of"):
        GatedFusion(gate="tanh")
