"""Embedding, similarity and retrieval metrics for a trained `GLoRIAPretrainer`."""

import numpy as np

from keras_multimodal.pretraining import contrastive

KINDS = ("global", "local", "both")


def _batches(array, batch_size):
    for start in range(0, len(array), batch_size):
        yield array[start : start + batch_size]


def encode_images(model, images, batch_size=64):
    """{"image_global": (N, D), "regions": (N, M, D)} as NumPy arrays."""
    parts = [model.encode_images(batch, training=False) for batch in _batches(images, batch_size)]
    return {key: np.concatenate([np.asarray(p[key]) for p in parts]) for key in ("image_global", "regions")}


def encode_texts(model, token_ids, batch_size=64):
    """{"text_global": (K, D), "words": (K, T, D), "word_mask": (K, T)} as NumPy arrays."""
    parts = [model.encode_texts(batch, training=False) for batch in _batches(np.asarray(token_ids), batch_size)]
    return {key: np.concatenate([np.asarray(p[key]) for p in parts]) for key in ("text_global", "words", "word_mask")}


def similarity_matrix(image_embeddings, text_embeddings, loss, kind="both", aggregation=None, block=64):
    """(N images, K texts) similarities.

    `"global"`: cosine of the global embeddings; `"local"`: GLoRIA's Z with
    `loss`'s temperatures (aggregation `loss.aggregation` unless given);
    `"both"`: the mean of the two after z-scoring each over the whole matrix,
    which puts their different scales on one footing (GLoRIA's retrieval
    z-normalises before averaging). Images are processed `block` at a time.
    """
    contrastive.check_choice("kind", kind, KINDS)
    scores = {}
    if kind in ("global", "both"):
        scores["global"] = np.asarray(contrastive.cosine_matrix(image_embeddings["image_global"], text_embeddings["text_global"]))
    if kind in ("local", "both"):
        rows = []
        for start in range(0, len(image_embeddings["regions"]), block):
            z = contrastive.local_similarity_matrix(
                text_embeddings["words"],
                text_embeddings["word_mask"],
                image_embeddings["regions"][start : start + block],
                tau1=loss.tau1,
                tau2=loss.tau2,
                normalization=loss.normalization,
                aggregation=aggregation or loss.aggregation,
                chunk_size=loss.text_chunk_size,
            )
            rows.append(np.asarray(z))
        scores["local"] = np.concatenate(rows)
    if kind != "both":
        return scores[kind]
    return (_zscore(scores["global"]) + _zscore(scores["local"])) / 2.0


def _zscore(matrix):
    return (matrix - matrix.mean()) / (matrix.std() + 1e-8)


def top_k(similarity, k):
    """Indices of the k highest scores per row, best first (ties: lower index first)."""
    order = np.argsort(-np.asarray(similarity), axis=1, kind="stable")
    return order[:, :k]


def recall_at_k(topk_indices, positives):
    """Instance-based Recall@K: fraction of queries with a positive among their top K.

    `positives` is a (queries, gallery) bool matrix (the identity for plain pairs).
    """
    positives = np.asarray(positives, bool)
    hits = np.take_along_axis(positives, np.asarray(topk_indices), axis=1)
    return float(np.mean(hits.any(axis=1)))


def precision_at_k(topk_indices, query_labels, gallery_labels):
    """Class-based Precision@K: mean fraction of the top K sharing the query's label."""
    gallery_labels = np.asarray(gallery_labels)
    same = gallery_labels[np.asarray(topk_indices)] == np.asarray(query_labels)[:, None]
    return float(np.mean(same))


def retrieval_metrics(similarity, ks=(1, 5, 10), positives=None, image_labels=None, text_labels=None):
    """Image->text and text->image Recall@K (and Precision@K when labels are given).

    `similarity` is (N images, N texts) with pair i = (image i, text i);
    `positives` defaults to the identity.
    """
    similarity = np.asarray(similarity)
    positives = np.eye(len(similarity), dtype=bool) if positives is None else np.asarray(positives, bool)
    out = {"n": int(len(similarity))}
    for direction, matrix, pos in (("image_to_text", similarity, positives), ("text_to_image", similarity.T, positives.T)):
        for k in ks:
            if k > matrix.shape[1]:
                continue
            indices = top_k(matrix, k)
            out[f"{direction}_recall@{k}"] = recall_at_k(indices, pos)
            if image_labels is not None and text_labels is not None:
                query, gallery = (image_labels, text_labels) if direction == "image_to_text" else (text_labels, image_labels)
                out[f"{direction}_precision@{k}"] = precision_at_k(indices, query, gallery)
    return out


def batched_recall_at_1(similarity, positives=None, batch=32):
    """Text->image Recall@1 within consecutive batches of `batch` pairs (the B2.3-11 protocol)."""
    similarity = np.asarray(similarity)
    positives = np.eye(len(similarity), dtype=bool) if positives is None else np.asarray(positives, bool)
    hits = []
    for start in range(0, len(similarity) - batch + 1, batch):
        block = slice(start, start + batch)
        indices = top_k(similarity[block, block].T, 1)
        hits.append(np.take_along_axis(positives[block, block].T, indices, axis=1)[:, 0])
    return float(np.mean(np.concatenate(hits)))
