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
        features: dict of `(batch, dim)` tensors keyed by input name.
        present: dict of `(batch, 1)` float tensors (1 = present) with the same keys.

    Returns:
        `(batch, sum(dim) + number of inputs)` tensor.
    """

    def call(self, features, present):
        parts = []
        for name in sorted(features):
            flag = ops.cast(present[name], features[name].dtype)
            parts += [features[name] * flag, flag]
        return ops.concatenate(parts, axis=-1)

    def compute_output_shape(self, features_shape, present_shape):
        width = sum(shape[-1] + 1 for shape in features_shape.values())
        return (None, width)
