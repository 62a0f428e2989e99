"""Hybrid (mixed) fusion: a fused head and per-modality heads, trained together."""

from keras import ops

from keras_multimodal.fusion.late_fusion import LateFusion
from keras_multimodal.fusion.registry import register_fusion


@register_fusion("hybrid")
class HybridFusion(LateFusion):
    """Early and late fusion at once: a head on the concatenated modalities plus one head per modality.

    The seed tutorial's mixed ("hybrid") fusion keeps the strength of both
    families: early fusion (one head on all modalities together) captures
    relations between modalities, late fusion (a head per modality) is robust
    to overfitting and to a missing modality. Here both kinds of head are
    trained together, end to end, and their decisions are combined by a
    weighted average with learned weights:

    - the per-modality heads are `LateFusion`'s (`Dense(units, relu)`,
      dropout, `Dense(output_units)` on each pooled vector);
    - the fused head is the same stack on the concatenation, in sorted-name
      order, of each modality's pooled vector (zero when absent) and its
      presence flag, as `concat` fusion builds it;
    - the fused head counts as one more "modality", present when any is; the
      learned weights are softmax-normalised over the present decisions
      (initialised equal) and the averaged probabilities (softmax:
      renormalised over the classes) or values are the output. A sample with
      no modality present gets the prior (0.5, uniform, or 0).

    Args:
        output_units: int. Number of output units. Defaults to 1.
        output_activation: str. `"sigmoid"`, `"softmax"` or `"linear"`.
            Defaults to `"sigmoid"`.
        units: int. Hidden units of every head. Defaults to 64.
        dropout: float. Dropout after each head's hidden layer. Defaults to 0.2.
        l2: float. L2 penalty on the heads' kernels. Defaults to 0.
        weights_per_unit: bool. Learn one combination weight per decision and
            output unit instead of one per decision. Defaults to False.

    Call arguments:
        features: dict keyed by input name of encoder outputs (each with a
            `pooled` `(batch, dim)` tensor).
        present: dict of `(batch, 1)` float presence flags (1 = present).
        training: bool. Enables dropout.

    Returns:
        float32 `(batch, output_units)`: the final prediction.
    """

    def __init__(self, output_units=1, output_activation="sigmoid", units=64, dropout=0.2, l2=0.0, weights_per_unit=False, **kwargs):
        super().__init__(
            output_units=output_units,
            output_activation=output_activation,
            combiner="learned",
            units=units,
            dropout=dropout,
            l2=l2,
            weights_per_unit=weights_per_unit,
            **kwargs,
        )

    def _decision_count(self):
        return len(self.names) + 1

    def build(self, features_shape, present_shape):
        super().build(features_shape, present_shape)
        width = sum(features_shape[name]["pooled"][-1] + 1 for name in self.names)
        self.fused_hidden, self.fused_dropout, self.fused_decision = self._head("fused", width)

    def call(self, features, present, training=None):
        pooled, flags, logits = self._decisions(features, present, training)
        parts = []
        for x, flag in zip(pooled, flags):
            parts += [x, ops.cast(flag, x.dtype)]
        hidden = self.fused_dropout(self.fused_hidden(ops.concatenate(parts, axis=-1)), training=training)
        logits.append(ops.cast(self.fused_decision(hidden), "float32"))
        flags = ops.concatenate(flags, axis=-1)
        any_present = ops.max(flags, axis=-1, keepdims=True)
        return self._combine(ops.stack(logits, axis=1), ops.concatenate([flags, any_present], axis=-1))

    def get_config(self):
        config = super().get_config()
        del config["combiner"]
        return config
