"""GLoRIA's contrastive objective as functions on `keras.ops` (backend-neutral).

Notation follows `irene_gloria.md` B2: images index rows (b), captions
columns (i); words (Bt, T, D) with a (Bt, T) mask, regions (Bi, M, D).
Every similarity and logit is computed in float32 so mixed precision cannot
overflow the softmaxes (B2.2).
"""

from keras import ops

NORMALIZATIONS = ("gloria", "softmax")
AGGREGATIONS = ("sum", "mean", "max")
DIRECTIONS = ("sum", "mean")
_NEG = -1e9  # "minus infinity" that keeps gradients finite


def check_choice(name, value, options):
    if value not in options:
        raise ValueError(f"Invalid value for argument `{name}`. Expected one of {options}. Received: {name}={value!r}")
    return value


def l2_normalize(x, epsilon=1e-8):
    """Rows of `x` (float32) divided by max(||x||, epsilon); a zero row (a padded word) stays zero.

    `ops.normalize` computes min(rsqrt(sum x^2), 1 / epsilon): at a zero row the
    unused rsqrt branch has an infinite derivative, and JAX's gradient of the
    minimum multiplies it by zero, which is NaN (pretraining on JAX diverged on
    its first step). Clamping the sum first keeps every derivative finite.
    """
    x = ops.cast(x, "float32")
    return x * ops.rsqrt(ops.maximum(ops.sum(ops.square(x), axis=-1, keepdims=True), epsilon**2))


def contrastive_cross_entropy(logits, directions="sum"):
    """CE(logits, arange) + CE(logits^T, arange): image->text and text->image, batch means.

    `directions="sum"` adds the two (GLoRIA), `"mean"` averages them (CLIP).
    """
    check_choice("directions", directions, DIRECTIONS)
    logits = ops.cast(logits, "float32")
    total = ops.mean(_diagonal_cross_entropy(logits)) + ops.mean(_diagonal_cross_entropy(ops.transpose(logits)))
    return total if directions == "sum" else total / 2.0


def _diagonal_cross_entropy(logits):
    """Per row i, -log softmax(logits[i])[i], as (max - target) + log1p(sum of the others' exp).

    The usual max + log(sum exp) - target loses the small terms in float32
    (a near-perfect batch would read 9.0835e-5 instead of 9.0798e-5).
    """
    peak = ops.max(logits, axis=1)
    top = ops.one_hot(ops.argmax(logits, axis=1), ops.shape(logits)[1], dtype=logits.dtype)
    others = ops.sum(ops.exp(logits - peak[:, None]) * (1.0 - top), axis=1)
    return (peak - ops.diagonal(logits)) + ops.log1p(others)


def cosine_matrix(a, b):
    """(N, D), (K, D) -> (N, K) cosines (rows L2-normalised with eps 1e-8)."""
    a = l2_normalize(a)
    b = l2_normalize(b)
    return ops.matmul(a, ops.transpose(b))


def global_contrastive_loss(image_embeddings, text_embeddings, logit_scale=10.0, directions="sum"):
    """Symmetric InfoNCE on cosine similarities scaled by `logit_scale` (GLoRIA's tau3 = 10)."""
    return contrastive_cross_entropy(logit_scale * cosine_matrix(image_embeddings, text_embeddings), directions)


def _softmax(x, axis):
    # exp(x - logsumexp): stable, and silent where an axis has size 1 (one word, one region).
    return ops.exp(x - ops.logsumexp(x, axis=axis, keepdims=True))


def _attention_from_scores(scores, word_mask, tau1, normalization, region_mask):
    """scores (..., T, M) and a mask broadcastable to (..., T, 1) -> attention over regions."""
    if normalization == "gloria":
        # First softmax over words, per region (DAMSM's "normalise across words"); masked words get 0.
        valid = word_mask > 0
        scores = _softmax(ops.where(valid, scores, _NEG), axis=-2)
        scores = ops.where(valid, scores, 0.0)
    logits = tau1 * scores
    if region_mask is not None:
        logits = ops.where(region_mask > 0, logits, _NEG)
    return _softmax(logits, axis=-1)


def word_region_attention(words, word_mask, regions, region_mask=None, tau1=4.0, normalization="gloria"):
    """Every caption's words attend over every image's regions.

    Args:
        words: (Bt, T, D); word_mask: (Bt, T), 1 = real word.
        regions: (Bi, M, D); region_mask: (Bi, M) or None.
        tau1: float. Sharpening of the softmax over regions.
        normalization: `"gloria"` (softmax over words, then x tau1 and softmax
            over regions, as GLoRIA's code) or `"softmax"` (one softmax over
            regions of tau1 * scores, as the paper's text).

    Returns:
        (contexts (Bi, Bt, T, D), attention (Bi, Bt, T, M)); attention rows sum to 1.
    """
    check_choice("normalization", normalization, NORMALIZATIONS)
    words = ops.cast(words, "float32")
    regions = ops.cast(regions, "float32")
    scores = ops.einsum("ctd,bmd->bctm", words, regions)
    mask = ops.cast(word_mask, "float32")[None, :, :, None]
    rmask = None if region_mask is None else ops.cast(region_mask, "float32")[:, None, None, :]
    attention = _attention_from_scores(scores, mask, tau1, normalization, rmask)
    return ops.einsum("bctm,bmd->bctd", attention, regions), attention


def paired_attention(words, word_mask, regions, tau1=4.0, normalization="gloria"):
    """Attention of caption k's words over image k's regions only: (B, T, M), for maps."""
    check_choice("normalization", normalization, NORMALIZATIONS)
    scores = ops.einsum("btd,bmd->btm", ops.cast(words, "float32"), ops.cast(regions, "float32"))
    mask = ops.cast(word_mask, "float32")[:, :, None]
    return _attention_from_scores(scores, mask, tau1, normalization, None)


def local_similarity(words, word_mask, contexts, tau2=5.0, aggregation="sum", paper_scale=False):
    """Z(b, i) from each word and its attended context: (Bi, Bt).

    R_j = cos(w_j, c_j); `"sum"`: Z = logsumexp_j(tau2 R_j) over real words;
    `"mean"`: the same minus log(number of words); `"max"`: tau2 max_j R_j.
    `paper_scale` divides by tau2 (DAMSM's outer 1/gamma2, which GLoRIA's code omits).
    """
    check_choice("aggregation", aggregation, AGGREGATIONS)
    words = l2_normalize(words)
    contexts = l2_normalize(contexts)
    similarity = tau2 * ops.sum(words[None] * contexts, axis=-1)  # (Bi, Bt, T)
    mask = ops.cast(word_mask, "float32")[None]
    valid = mask > 0
    masked = ops.where(valid, similarity, _NEG)
    count = ops.sum(mask, axis=-1)
    if aggregation == "max":
        z = ops.max(masked, axis=-1)
    else:
        z = ops.logsumexp(masked, axis=-1)
        if aggregation == "mean":
            z = z - ops.log(ops.maximum(count, 1.0))
    z = ops.where(count > 0, z, 0.0)  # a caption without words matches nothing in particular
    return z / tau2 if paper_scale else z


def local_similarity_matrix(
    words, word_mask, regions, region_mask=None, tau1=4.0, tau2=5.0, normalization="gloria", aggregation="sum", chunk_size=8
):
    """Z for all (image, caption) pairs, captions processed `chunk_size` at a time.

    Memory is Bi * chunk_size * T * (D + M) floats instead of Bi * Bt * T * (D + M).
    The loop is a static Python loop, so the caption batch size must be static
    (fit with `drop_remainder`); an unknown batch size is done in one chunk.
    """
    total = words.shape[0]
    if total is None or not chunk_size or chunk_size >= total:
        contexts, _ = word_region_attention(words, word_mask, regions, region_mask, tau1, normalization)
        return local_similarity(words, word_mask, contexts, tau2, aggregation)
    parts = []
    for start in range(0, total, chunk_size):
        w, m = words[start : start + chunk_size], word_mask[start : start + chunk_size]
        contexts, _ = word_region_attention(w, m, regions, region_mask, tau1, normalization)
        parts.append(local_similarity(w, m, contexts, tau2, aggregation))
    return ops.concatenate(parts, axis=1)


def local_contrastive_loss(similarity, logit_scale=10.0, directions="sum"):
    """CE over tau3 * Z in both directions (images rows, captions columns)."""
    return contrastive_cross_entropy(logit_scale * similarity, directions)
