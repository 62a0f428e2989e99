"""Retrieval metrics, zero-shot calibration, the linear probe and the synthetic generator (B2.3-12)."""

import numpy as np
import pytest

from keras_multimodal.pretraining import synthetic_pairs as sp
from keras_multimodal.pretraining.linear_probe import label_fraction
from keras_multimodal.pretraining.linear_probe import linear_probe
from keras_multimodal.pretraining.retrieval import batched_recall_at_1
from keras_multimodal.pretraining.retrieval import precision_at_k
from keras_multimodal.pretraining.retrieval import recall_at_k
from keras_multimodal.pretraining.retrieval import retrieval_metrics
from keras_multimodal.pretraining.retrieval import top_k


def test_precision_and_recall_at_k_known_values():
    assert precision_at_k(np.array([[0, 2]]), np.array([0]), np.array([0, 0, 1, 1])) == 0.5
    assert recall_at_k(top_k(np.eye(5), 1), np.eye(5, dtype=bool)) == 1.0
    shifted = np.roll(np.eye(4), 1, axis=1)  # every query's best match is the wrong item
    assert recall_at_k(top_k(shifted, 1), np.eye(4, dtype=bool)) == 0.0
    metrics = retrieval_metrics(np.eye(4), ks=(1, 2, 10), image_labels=[0, 0, 1, 1], text_labels=[0, 0, 1, 1])
    assert metrics["image_to_text_recall@1"] == metrics["text_to_image_recall@1"] == 1.0
    assert metrics["image_to_text_precision@2"] == pytest.approx(0.75)  # ties go to the lower index
    assert "image_to_text_recall@10" not in metrics and metrics["n"] == 4


def test_duplicate_reports_count_as_matches():
    similarity = np.array([[1.0, 0.9], [1.0, 0.9]])  # both images prefer text 0
    same = np.ones((2, 2), bool)
    assert batched_recall_at_1(similarity, batch=2) == 0.5
    assert batched_recall_at_1(similarity, same, batch=2) == 1.0


def test_zero_shot_calibration_is_a_noop_for_one_image():
    from keras_multimodal.pretraining import zero_shot

    scores = np.array([[0.2, 0.5]])
    np.testing.assert_allclose(zero_shot.calibrate_scores(scores, "zscore_over_images"), scores)
    many = np.array([[0.2, 0.5], [0.4, 0.9], [0.0, 0.1]])
    calibrated = zero_shot.calibrate_scores(many, "zscore_over_images")
    np.testing.assert_allclose(calibrated.mean(0), 0.0, atol=1e-9)
    np.testing.assert_allclose(zero_shot.calibrate_scores(many), many)
    probabilities = zero_shot.softmax_scores(np.array([[0.0, np.log(3.0)]]))
    np.testing.assert_allclose(probabilities, [[0.25, 0.75]])


def test_linear_probe_uses_the_label_fraction_and_frozen_features():
    labels = np.repeat([0, 1], 20)
    chosen = label_fraction(labels, 0.1, seed=0)
    assert len(chosen) == 4 and set(labels[chosen]) == {0, 1}
    with pytest.raises(ValueError, match="fraction"):
        label_fraction(labels, 0.0)
    images = np.where(labels[:, None] == 1, 1.0, -1.0) + np.random.default_rng(0).normal(0, 0.3, (40, 3))

    def encoder(x, training=False):  # stands in for a pretrained image encoder
        return {"pooled": np.asarray(x)}

    probabilities = linear_probe(encoder, images, labels, images, fraction=0.1)
    assert probabilities.shape == (40, 2) and np.mean(probabilities.argmax(1) == labels) > 0.9


def test_synthetic_pairs_are_deterministic_and_name_what_is_drawn():
    a, b = sp.make_synthetic_pairs(12, seed=4), sp.make_synthetic_pairs(12, seed=4)
    np.testing.assert_array_equal(a.images, b.images)
    assert a.texts == b.texts and a.cells == b.cells
    assert not np.array_equal(a.images, sp.make_synthetic_pairs(12, seed=5).images)
    for text, kinds, cells in zip(a.texts, a.findings, a.cells):
        assert sorted(w for w in text.split() if w in sp.SHAPES) == sorted(sp.SHAPES[k] for k in kinds)
        assert len(set(cells)) == len(cells)
    ids = sp.token_ids(["circle and square", "unknownword"], length=4)
    vocabulary = sp.vocabulary()
    assert [vocabulary[i] for i in ids[0][:3]] == ["circle", "and", "square"] and ids[0][3] == 0 and ids[1][0] == 1
