"""`attention` fusion: softmax weights over the present modalities, exposed for reports."""

import numpy as np
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

from keras_multimodal.fusion import get_fusion


def numpy_attention(fusion, inputs):
    """(output, weights) computed in NumPy from the layer's weights."""
    flags = flags_matrix(inputs, fusion.names)
    projected = []
    for i, (name, projection) in enumerate(zip(fusion.names, fusion.projections)):
        kernel, bias = projection.get_weights()
        projected.append((inputs["f"][name]["pooled"] * flags[:, i : i + 1]) @ kernel + bias)
    projected = np.stack(projected, axis=1)
    kernel, bias = fusion.score_hidden.get_weights()
    scores = np.tanh(projected @ kernel + bias) @ fusion.score.get_weights()[0]
    weights = np_masked_softmax(scores, flags[:, :, None], axis=1)
    return (weights * projected).sum(1), weights[:, :, 0]


def test_output_and_weights_match_numpy():
    fusion = get_fusion("attention", units=8)
    model = build(fusion)
    inputs = sample(11)
    expected, weights = numpy_attention(fusion, inputs)
    np.testing.assert_allclose(predict(model, inputs), expected, rtol=1e-4, atol=1e-5)
    reported = fusion.modality_weights(inputs["f"], inputs["p"])
    assert list(reported) == ["a", "b", "c"]
    for i, name in enumerate(fusion.names):
        assert reported[name].shape == (BATCH, 1)
        np.testing.assert_allclose(np.asarray(reported[name])[:, 0], weights[:, i], atol=1e-5)
    total = sum(np.asarray(w) for w in reported.values())[:, 0]
    np.testing.assert_allclose(np.delete(total, NONE_PRESENT), 1.0, atol=1e-5)
    assert total[NONE_PRESENT] == 0.0
    flags = flags_matrix(inputs, fusion.names)
    assert np.all(weights[flags == 0] == 0)


def test_a_single_present_modality_gets_all_the_weight():
    fusion = get_fusion("attention", units=8)
    build(fusion)
    inputs = sample(12)
    reported = fusion.modality_weights(inputs["f"], inputs["p"])
    np.testing.assert_allclose(np.asarray(reported["b"])[5], [1.0], atol=1e-6)  # row 5 has only b


def test_contract(tmp_path):
    model = build(get_fusion("attention"))
    out = check_absent_ignored(model)
    assert out.shape == (BATCH, 64)
    np.testing.assert_array_equal(out[NONE_PRESENT], 0.0)
    check_batch_independent(model)
    check_mixed_precision(lambda: get_fusion("attention"))
    check_round_trip(model, tmp_path / "attention.keras")


def test_units_change_the_layer():
    small, large = build(get_fusion("attention", units=8)), build(get_fusion("attention", units=32))
    assert small.output_shape == (None, 8) and large.output_shape == (None, 32)
    assert large.count_params() > small.count_params()
