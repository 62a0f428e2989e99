"""Presence-aware tensor helpers shared by the fusion layers (keras.ops only), and their per-modality Dense layers.

Every fusion must ignore an absent modality whatever values its encoder
produced, so absent inputs are replaced (not multiplied: `inf * 0` is NaN)
and every normalisation runs over the present modalities only.
"""

import keras
from keras import ops

# Large enough to zero a softmax term in float32, small enough not to overflow.
_NEG = -1e9


def per_modality_dense(features_shape, units, suffix, **options):
    """Sorted names and one built `Dense(units)` per modality, on its pooled vector.

    Args:
        features_shape: dict of encoder output shapes (each with `pooled`).
        units: int. Output size of each layer.
        suffix: str. Layer names are `<name>_<suffix>` (saved weights use them).
        **options: other `keras.layers.Dense` arguments (activation, use_bias...).

    Returns:
        `(names, layers)`: the sorted names (a tuple) and a list of built layers.
    """
    names = tuple(sorted(features_shape))
    layers = []
    for name in names:
        layer = keras.layers.Dense(units, name=f"{name}_{suffix}", **options)
        layer.build(features_shape[name]["pooled"])
        layers.append(layer)
    return names, layers


def present_pooled(features, present):
    """Sorted names, pooled vectors with absent rows set to 0, and float flags.

    Args:
        features: dict of encoder outputs (each with `pooled` `(batch, dim)`).
        present: dict of `(batch, 1)` presence flags, the same keys.

    Returns:
        `(names, pooled, flags)`: the sorted names, a list of `(batch, dim)`
        tensors, a list of `(batch, 1)` float tensors (1 = present).
    """
    names = sorted(features)
    pooled, flags = [], []
    for name in names:
        x = features[name]["pooled"]
        flag = ops.cast(present[name] > 0.5, x.dtype)
        pooled.append(ops.where(flag > 0, x, ops.zeros_like(x)))
        flags.append(flag)
    return names, pooled, flags


def masked_softmax(logits, mask, axis=-1):
    """Softmax over the entries where `mask` is 1; computed in float32.

    Masked entries get weight 0 whatever their logit (even inf or NaN); a row
    with every entry masked gets all zeros, never NaN.

    Args:
        logits: float tensor.
        mask: tensor broadcastable to `logits`, 1 = keep.
        axis: int. The axis to normalise over.

    Returns:
        float32 tensor shaped like `logits` (after broadcasting with `mask`).
    """
    logits = ops.cast(logits, "float32")
    mask = ops.cast(mask, "float32")
    logits, mask = logits + ops.zeros_like(mask), mask + ops.zeros_like(logits)
    logits = ops.where(mask > 0, logits, _NEG)
    logits = logits - ops.max(logits, axis=axis, keepdims=True)
    weights = ops.exp(logits) * mask
    return weights / ops.maximum(ops.sum(weights, axis=axis, keepdims=True), 1e-12)


def masked_mean(x, mask, axis=1):
    """Mean of `x` over `axis` where `mask` is 1; zeros where nothing is kept.

    Args:
        x: float tensor, e.g. `(batch, tokens, dim)`.
        mask: tensor broadcastable to `x`, 1 = keep, e.g. `(batch, tokens, 1)`.
        axis: int.

    Returns:
        `x` reduced over `axis`.
    """
    mask = ops.cast(mask, x.dtype)
    kept = ops.where(mask > 0, x, ops.zeros_like(x))
    count = ops.sum(mask + ops.zeros_like(x), axis=axis)
    return ops.sum(kept, axis=axis) / ops.maximum(count, ops.cast(1.0, x.dtype))
