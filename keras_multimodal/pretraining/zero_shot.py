"""Zero-shot classification from class prompts with a trained `GLoRIAPretrainer`."""

import numpy as np

from keras_multimodal.pretraining.retrieval import encode_texts
from keras_multimodal.pretraining.retrieval import similarity_matrix

PROMPT_REDUCTIONS = ("max", "mean")
CALIBRATIONS = ("none", "zscore_over_images")


def zero_shot_scores(model, image_embeddings, class_prompts, tokenize, kind="both", prompt_reduce="max", calibrate="none"):
    """Per-class scores (N images, C classes), classes in `class_prompts` order.

    Each image is compared with every prompt (`similarity_matrix` of `kind`);
    a class scores the max (GLoRIA's code) or mean over its prompts.
    `calibrate="zscore_over_images"` z-scores each class column over the
    evaluated images, GLoRIA's transductive step: it uses the test set's own
    statistics, so it is off by default; with one image it changes nothing.

    Args:
        model: `GLoRIAPretrainer`.
        image_embeddings: dict from `encode_images`.
        class_prompts: dict class -> list of prompt strings.
        tokenize: callable list[str] -> (K, T) int ids, the text input's own tokenisation.
    """
    if prompt_reduce not in PROMPT_REDUCTIONS:
        raise ValueError(f"Invalid value for argument `prompt_reduce`. Expected one of {PROMPT_REDUCTIONS}. Received: {prompt_reduce!r}")
    if calibrate not in CALIBRATIONS:
        raise ValueError(f"Invalid value for argument `calibrate`. Expected one of {CALIBRATIONS}. Received: {calibrate!r}")
    prompts, owners = [], []
    for index, texts in enumerate(class_prompts.values()):
        prompts += list(texts)
        owners += [index] * len(texts)
    texts = encode_texts(model, tokenize(prompts))
    similarity = similarity_matrix(image_embeddings, texts, model.contrastive_loss, kind=kind)
    owners = np.array(owners)
    reduce = np.max if prompt_reduce == "max" else np.mean
    scores = np.stack([reduce(similarity[:, owners == c], axis=1) for c in range(len(class_prompts))], axis=1)
    return calibrate_scores(scores, calibrate)


def calibrate_scores(scores, calibrate="none"):
    """`"zscore_over_images"`: z-score each class column over the images (transductive); one image: unchanged."""
    if calibrate == "zscore_over_images" and len(scores) > 1:
        return (scores - scores.mean(axis=0)) / (scores.std(axis=0) + 1e-8)
    return scores


def softmax_scores(scores):
    """Row-wise softmax, so zero-shot scores read like class probabilities for the metrics."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)
