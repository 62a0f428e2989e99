"""The contrastive losses against irene_gloria.md B2.3's known values and an independent NumPy oracle."""

import numpy as np
import pytest

from keras_multimodal.pretraining import contrastive as C
from keras_multimodal.pretraining.gloria_loss import GLoRIALoss

E0, E1 = [1.0, 0.0], [0.0, 1.0]
S = 2**-0.5


def arr(x):
    return np.asarray(x, "float32")


def local(words, mask, regions, **kwargs):
    z = C.local_similarity_matrix(arr(words), arr(mask), arr(regions), **kwargs)
    return np.asarray(z), float(C.local_contrastive_loss(z))


@pytest.mark.parametrize(
    "img,txt,expected",
    [
        (np.eye(2), np.eye(2), 9.0798e-5),
        (np.eye(2), np.eye(2)[::-1], 20.0000908),
        (np.ones((4, 2)), np.ones((4, 2)), 2.7725887),
        (np.ones((2, 2)), np.ones((2, 2)), 1.3862944),
    ],
)
def test_global_loss_known_values(img, txt, expected):
    assert float(C.global_contrastive_loss(arr(img), arr(txt))) == pytest.approx(expected, rel=1e-4)
    assert float(C.global_contrastive_loss(arr(img), arr(txt), directions="mean")) == pytest.approx(expected / 2, rel=1e-4)


def test_global_loss_is_cosine_symmetric_and_permutation_invariant():
    rng = np.random.default_rng(0)
    img, txt = arr(rng.normal(size=(5, 4))), arr(rng.normal(size=(5, 4)))
    base = float(C.global_contrastive_loss(img, txt))
    assert float(C.global_contrastive_loss(img * arr([[3.0], [0.5], [2], [1], [7]]), txt)) == pytest.approx(base, rel=1e-5)
    assert float(C.global_contrastive_loss(txt, img)) == pytest.approx(base, rel=1e-5)
    order = rng.permutation(5)
    assert float(C.global_contrastive_loss(img[order], txt[order])) == pytest.approx(base, rel=1e-5)
    aligned = float(C.global_contrastive_loss(img, img))
    assert float(C.global_contrastive_loss(img, img[[1, 2, 3, 4, 0]])) > aligned


def test_local_similarity_known_values():
    one = dict(tau2=5.0)
    contexts = arr([[[[1.0, 0.0], [1.0, 0.0]]]])  # (Bi=1, Bt=1, T=2, D)
    words = arr([[[1.0, 0.0], [1.0, 0.0]]])
    single = C.local_similarity(words[:, :1], arr([[1]]), contexts[:, :, :1], **one)
    assert 10 * float(single[0, 0]) == pytest.approx(50.0)
    assert float(C.local_similarity(words, arr([[1, 1]]), contexts, **one)[0, 0]) == pytest.approx(5.693147, rel=1e-6)
    for aggregation in ("mean", "max"):
        assert float(C.local_similarity(words, arr([[1, 1]]), contexts, aggregation=aggregation)[0, 0]) == pytest.approx(5.0, rel=1e-6)
    assert float(C.local_similarity(words[:, :1], arr([[1]]), contexts[:, :, :1], paper_scale=True)[0, 0]) == pytest.approx(1.0)
    paper = C.local_similarity(words, arr([[1, 1]]), contexts, paper_scale=True)
    assert float(paper[0, 0]) == pytest.approx(1 + np.log(2) / 5, rel=1e-6)


def test_local_loss_tiny_example_one():
    z, loss = local([[E0], [E1]], [[1], [1]], [[E0], [[S, S]]])
    np.testing.assert_allclose(10 * z, [[50, 0], [35.3553, 35.3553]], atol=1e-3)
    logits = 10 * z
    assert float(C.contrastive_cross_entropy(logits)) == pytest.approx(0.3465738, rel=1e-5)
    image_to_text = float(C.contrastive_cross_entropy(logits, "sum")) - 2.18e-7
    assert image_to_text == pytest.approx(0.3465736, rel=1e-5)
    assert loss == pytest.approx(0.3465738, rel=1e-5)


@pytest.mark.parametrize(
    "normalization,expected_logits,expected_loss",
    [
        ("gloria", [[56.3228, 42.2868], [50.0672, 56.9315]], 0.001481),
        ("softmax", [[56.9231, 56.9231], [50.0672, 56.9315]], 0.692104),
    ],
)
def test_local_loss_tiny_example_two_pins_the_softmax_variant(normalization, expected_logits, expected_loss):
    z, loss = local([[E0, E1], [E1, E1]], [[1, 1], [1, 1]], [[E0, E1], [E1, E1]], normalization=normalization)
    np.testing.assert_allclose(10 * z, expected_logits, atol=1e-3)
    assert loss == pytest.approx(expected_loss, rel=2e-3)


def _random_case(seed=0, bt=5, bi=4, t=4, m=6, d=8):
    rng = np.random.default_rng(seed)
    words = arr(rng.normal(size=(bt, t, d)))
    mask = arr(np.arange(t)[None, :] < rng.integers(1, t + 1, size=(bt, 1)))
    regions = arr(rng.normal(size=(bi, m, d)))
    return words, mask, regions


def test_attention_rows_sum_to_one_and_masked_words_change_nothing():
    words, mask, regions = _random_case()
    for normalization in C.NORMALIZATIONS:
        _, attention = C.word_region_attention(words, mask, regions, normalization=normalization)
        np.testing.assert_allclose(np.asarray(attention).sum(-1), 1.0, atol=1e-5)
        noisy = np.where(mask[..., None] > 0, words, 99.0).astype("float32")
        _, attention_noisy = C.word_region_attention(noisy, mask, regions, normalization=normalization)
        valid = np.broadcast_to(mask[None, :, :, None] > 0, np.asarray(attention).shape)
        np.testing.assert_allclose(np.asarray(attention)[valid], np.asarray(attention_noisy)[valid], atol=1e-6)
        z = C.local_similarity_matrix(words, mask, regions, normalization=normalization)
        z_noisy = C.local_similarity_matrix(noisy, mask, regions, normalization=normalization)
        np.testing.assert_allclose(np.asarray(z), np.asarray(z_noisy), atol=1e-5)
    sharp = C.word_region_attention(arr([[E0]]), arr([[1]]), arr([[E0, E1]]), tau1=50.0, normalization="softmax")[1]
    np.testing.assert_allclose(np.asarray(sharp)[0, 0, 0], [1.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_chunked_and_unchunked_losses_agree(chunk):
    words, mask, regions = _random_case(bt=4, bi=4)
    full = GLoRIALoss(text_chunk_size=0)
    chunked = GLoRIALoss(text_chunk_size=chunk)
    inputs = {"words": words, "word_mask": mask, "regions": regions, "image_global": regions[:, 0], "text_global": words[:, 0]}
    np.testing.assert_allclose(np.asarray(chunked.local_similarity(inputs)), np.asarray(full.local_similarity(inputs)), atol=1e-5)
    assert float(chunked(inputs)["loss"]) == pytest.approx(float(full(inputs)["loss"]), abs=1e-5)


def _oracle_z(words, mask, regions, normalization, aggregation, tau1=4.0, tau2=5.0):
    """Plain loops over (image, caption, word), A2.3-A2.4 of irene_gloria.md."""
    z = np.zeros((len(regions), len(words)))
    for b, v in enumerate(regions.astype("float64")):
        for i, w in enumerate(words.astype("float64")):
            valid = mask[i] > 0
            s = w[valid] @ v.T  # (L, M)
            if normalization == "gloria":
                s = np.exp(s - s.max(0)) / np.exp(s - s.max(0)).sum(0)
            a = np.exp(tau1 * s - (tau1 * s).max(1, keepdims=True))
            a /= a.sum(1, keepdims=True)
            c = a @ v
            r = tau2 * (w[valid] * c).sum(1) / (np.linalg.norm(w[valid], axis=1) * np.linalg.norm(c, axis=1))
            lse = np.log(np.exp(r - r.max()).sum()) + r.max()
            z[b, i] = {"sum": lse, "mean": lse - np.log(valid.sum()), "max": r.max()}[aggregation]
    return z


@pytest.mark.parametrize("normalization", C.NORMALIZATIONS)
@pytest.mark.parametrize("aggregation", C.AGGREGATIONS)
def test_numpy_oracle_parity(normalization, aggregation):
    words, mask, regions = _random_case(seed=3, bt=3, bi=3)
    z, _ = local(words, mask, regions, normalization=normalization, aggregation=aggregation, chunk_size=2)
    np.testing.assert_allclose(z, _oracle_z(words, mask, regions, normalization, aggregation), atol=1e-4)


def test_loss_layer_round_trips_its_config():
    loss = GLoRIALoss(local_weight=0.5, tau1=3.0, normalization="softmax", aggregation="mean", text_chunk_size=4)
    again = GLoRIALoss.from_config(loss.get_config())
    assert again.get_config() == loss.get_config()
    with pytest.raises(ValueError, match="normalization"):
        GLoRIALoss(normalization="double")
