"""Attention fusion: learned softmax weights over the present modalities."""

import keras
from keras import ops

from keras_multimodal.fusion.modality_ops import masked_softmax
from keras_multimodal.fusion.modality_ops import per_modality_dense
from keras_multimodal.fusion.modality_ops import present_pooled
from keras_multimodal.fusion.registry import register_fusion


@register_fusion("attention")
class AttentionFusion(keras.layers.Layer):
    """A weighted sum of projected modality vectors, with per-sample weights learned by attention.

    Each modality's pooled vector is projected to `units` (`h_m = W_m x_m +
    b_m`) and scored by a small tanh MLP shared across modalities
    (`s_m = v^T tanh(U h_m + c)`); the scores go through a softmax over the
    modalities present in the sample only, and the output is `sum_m a_m h_m`.
    An absent modality gets weight 0 whatever its encoder produced; a sample
    with no modality present gets zeros. `modality_weights` returns the
    weights `a_m`, e.g. for a report of which modality each prediction leaned on.

    Args:
        units: int. Size of the projections and of the output. Defaults to 64.

    Call arguments:
        features: dict keyed by input name of encoder outputs (each with a
            `pooled` `(batch, dim)` tensor).
        present: dict of `(batch, 1)` float presence flags (1 = present).

    Returns:
        `(batch, units)` tensor.
    """

    def __init__(self, units=64, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)

    def build(self, features_shape, present_shape):
        self.names, self.projections = per_modality_dense(features_shape, self.units, "projection")
        self.score_hidden = keras.layers.Dense(self.units, activation="tanh", name="score_hidden")
        self.score_hidden.build((None, len(self.names), self.units))
        self.score = keras.layers.Dense(1, use_bias=False, name="score")
        self.score.build((None, len(self.names), self.units))

    def _attend(self, features, present):
        """Projections `(batch, M, units)` and float32 weights `(batch, M, 1)`."""
        _, pooled, flags = present_pooled(features, present)
        projected = ops.stack([projection(x) for projection, x in zip(self.projections, pooled)], axis=1)
        scores = self.score(self.score_hidden(projected))
        return projected, masked_softmax(scores, ops.stack(flags, axis=1), axis=1)

    def call(self, features, present):
        projected, weights = self._attend(features, present)
        return ops.sum(ops.cast(weights, projected.dtype) * projected, axis=1)

    def modality_weights(self, features, present):
        """The attention weight of each modality per sample (0 where absent).

        Args:
            features: dict of encoder outputs, as in `call` (the layer must be built).
            present: dict of `(batch, 1)` presence flags.

        Returns:
            dict keyed by input name of float32 `(batch, 1)` weights; they sum
            to 1 over the modalities of each sample with any modality present.
        """
        _, weights = self._attend(features, present)
        return {name: weights[:, i] for i, name in enumerate(self.names)}

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units)
        return config
