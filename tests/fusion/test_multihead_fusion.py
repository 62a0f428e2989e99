"""`multihead` fusion: transformer blocks over one token per modality, attention per sample."""

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
from pooled_fusion_checks import predict
from pooled_fusion_checks import sample

from keras_multimodal.fusion import get_fusion
from keras_multimodal.fusion.multihead_fusion import MultiHeadFusion

SMALL = {"units": 8, "num_heads": 2, "intermediate_dim": 16}


def test_contract(tmp_path):
    make = lambda: get_fusion("multihead", num_layers=2, **SMALL)  # noqa: E731
    model = build(make())
    out = check_absent_ignored(model)
    assert out.shape == (BATCH, 8)
    np.testing.assert_array_equal(out[NONE_PRESENT], 0.0)
    check_batch_independent(model)
    check_mixed_precision(make)
    check_round_trip(model, tmp_path / "multihead.keras")


def test_a_lone_modality_does_not_attend_to_absent_ones():
    """With one present token, attention is the identity on its value: the output matches a manual pass."""
    fusion = get_fusion("multihead", num_layers=1, dropout=0.0, **SMALL)
    model = build(fusion)
    inputs = sample(15)
    row = 5  # only b present
    block = fusion.blocks[0]
    x = fusion.projections[1](inputs["f"]["b"]["pooled"][row : row + 1]) + fusion.type_embedding[1]
    x = x + block["attention_output"](block["value"](block["attention_norm"](x)))
    x = x + block["ffn_output"](block["ffn_hidden"](block["ffn_norm"](x)))
    np.testing.assert_allclose(predict(model, inputs)[row], np.asarray(fusion.final_norm(x))[0], rtol=1e-4, atol=1e-5)


def test_options_change_the_layer_or_output():
    inputs = sample(16)
    base = get_fusion("multihead", **SMALL)
    base_model = build(base)
    assert base_model.output_shape == (None, 8)
    assert build(get_fusion("multihead", **dict(SMALL, units=16))).output_shape == (None, 16)
    deeper = get_fusion("multihead", num_layers=3, **SMALL)
    assert build(deeper).count_params() > base_model.count_params() and len(deeper.blocks) == 3
    wider = get_fusion("multihead", **dict(SMALL, intermediate_dim=32))
    build(wider)
    assert wider.blocks[0]["ffn_hidden"].kernel.shape == (8, 32)
    # num_heads changes the output for the same weights.
    heads = get_fusion("multihead", **dict(SMALL, num_heads=4))
    heads_model = build(heads)
    copy_weights(base, heads)
    assert not np.allclose(predict(heads_model, inputs)[0], predict(base_model, inputs)[0], atol=1e-5)
    # dropout acts in training only.
    dropped = build(get_fusion("multihead", **dict(SMALL, dropout=0.5)))
    assert not np.allclose(predict(dropped, inputs, training=True), predict(dropped, inputs))
    kept = build(get_fusion("multihead", **dict(SMALL, dropout=0.0)))
    np.testing.assert_allclose(predict(kept, inputs, training=True), predict(kept, inputs), atol=1e-6)


def test_heads_must_divide_units():
    with pytest.raises(ValueError, match="must divide"):
        MultiHeadFusion(units=10, num_heads=4)
