"""Early (feature) fusion by concatenation, with presence flags."""

import keras
from keras import ops

from keras_multimodal.fusion.registry import register_fusion


@register_fusion("concat")
class ConcatFusion(keras.layers.Layer):
    """Concatenates modality vectors in sorted-name order; absent modalities contribute zeros and a 0 flag.

    Each modality vector is multiplied by its presence (so an absent
    modality's encoder output, whatever it is, never reaches the head) and
    followed by the presence flag itself, so the head knows which inputs it saw.

    Call arguments:
        features: dict keyed by input name of encoder outputs (dicts with a
            `pooled` `(batch, dim)` tensor).
        present: dict of `(batch, 1)` float tensors (1 = present) with the same keys.

    Returns:
        `(batch, sum(dim) + number of inputs)` tensor.
    """

    def call(self, features, present):
        parts = []
        for name in sorted(features):
            pooled = features[name]["pooled"]
            flag = ops.cast(present[name], pooled.dtype)
            parts += [pooled * flag, flag]
        return ops.concatenate(parts, axis=-1)
