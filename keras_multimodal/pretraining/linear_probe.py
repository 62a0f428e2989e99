"""`linear_probe`: a linear classifier on frozen pretrained image features (GLoRIA's "fine-tuning")."""

import numpy as np


def image_features(encoder, images, batch_size=64):
    """The image encoder's pooled vectors (N, D) for an array of images, inference mode."""
    parts = [np.asarray(encoder(images[i : i + batch_size], training=False)["pooled"]) for i in range(0, len(images), batch_size)]
    return np.concatenate(parts)


def linear_probe(encoder, train_images, train_labels, images, fraction=1.0, seed=0, max_iter=2000):
    """Fit a logistic regression on frozen features of a fraction of the labelled rows; score `images`.

    Args:
        encoder: an image encoder layer (e.g. `GLoRIAPretrainer.image_encoder`,
            or `load_pretrained_encoder(...)`), used frozen.
        train_images, train_labels: the labelled training rows (labels are class indices).
        images: the rows to score.
        fraction: float in (0, 1]. Share of the training rows used, drawn per
            class with `seed` (at least one row per class), as GLoRIA's 1% / 10% / 100%.

    Returns:
        (N, C) class probabilities for `images`, columns in sorted label order.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    train_labels = np.asarray(train_labels)
    chosen = label_fraction(train_labels, fraction, seed)
    scaler = StandardScaler().fit(image_features(encoder, train_images[chosen]))
    classifier = LogisticRegression(max_iter=max_iter)
    classifier.fit(scaler.transform(image_features(encoder, train_images[chosen])), train_labels[chosen])
    return classifier.predict_proba(scaler.transform(image_features(encoder, images)))


def label_fraction(labels, fraction, seed=0):
    """Indices of a per-class random `fraction` of the rows (at least one per class), sorted."""
    if not 0 < fraction <= 1:
        raise ValueError(f"Invalid value for argument `fraction`. Expected a value in (0, 1]. Received: fraction={fraction}")
    rng = np.random.default_rng(seed)
    chosen = []
    for value in np.unique(labels):
        rows = np.flatnonzero(labels == value)
        count = max(1, int(round(fraction * len(rows))))
        chosen += rng.choice(rows, count, replace=False).tolist()
    return np.sort(np.array(chosen))
