"""Gated multimodal units (Arevalo et al. 2017)."""

import keras
from keras import ops

from keras_multimodal.fusion.modality_ops import masked_softmax
from keras_multimodal.fusion.modality_ops import per_modality_dense
from keras_multimodal.fusion.modality_ops import present_pooled
from keras_multimodal.fusion.registry import register_fusion

GATES = ("softmax", "sigmoid")


@register_fusion("gated")
class GatedFusion(keras.layers.Layer):
    """A gated multimodal unit: per-unit gates, computed from all modalities, mix per-modality features.

    Following Arevalo et al., "Gated Multimodal Units for Information
    Fusion" (ICLR workshop 2017), each modality gives `h_m = tanh(W_m x_m)`
    and gates `z_m` (one per output unit) are computed from the
    concatenation of all modality vectors (absent ones zeroed) and the
    presence flags; the output is `sum_m z_m * h_m`. The original bimodal
    unit is `z h_1 + (1 - z) h_2`; with any number of modalities the gates are
    normalised over the modalities present in the sample: `"softmax"` takes
    a softmax of the gate logits, `"sigmoid"` takes independent sigmoids
    divided by their sum. Absent modalities' gates are 0; a sample with no
    modality present gets zeros.

    Args:
        units: int. Size of each `h_m` and of the output. Defaults to 64.
        gate: str. `"softmax"` or `"sigmoid"`. Defaults to `"softmax"`.

    Call arguments:
        features: dict keyed by input name of encoder outputs (each with a
            `pooled` `(batch, dim)` tensor).
        present: dict of `(batch, 1)` float presence flags (1 = present).

    Returns:
        `(batch, units)` tensor.

    Raises:
        ValueError: for an unknown `gate`.
    """

    def __init__(self, units=64, gate="softmax", **kwargs):
        super().__init__(**kwargs)
        if gate not in GATES:
            raise ValueError(f"Invalid value for argument `gate`. Expected one of {GATES}. Received: gate={gate!r}")
        self.units = int(units)
        self.gate = gate

    def build(self, features_shape, present_shape):
        self.names, self.hidden = per_modality_dense(features_shape, self.units, "hidden", activation="tanh", use_bias=False)
        width = sum(features_shape[name]["pooled"][-1] + 1 for name in self.names)
        self.gates = keras.layers.Dense(len(self.names) * self.units, name="gates")
        self.gates.build((None, width))

    def call(self, features, present):
        _, pooled, flags = present_pooled(features, present)
        hidden = ops.stack([layer(x) for layer, x in zip(self.hidden, pooled)], axis=1)
        parts = []
        for x, flag in zip(pooled, flags):
            parts += [x, flag]
        logits = ops.reshape(self.gates(ops.concatenate(parts, axis=-1)), (-1, len(self.names), self.units))
        mask = ops.stack(flags, axis=1)
        if self.gate == "softmax":
            gates = masked_softmax(logits, mask, axis=1)
        else:
            gates = ops.sigmoid(ops.cast(logits, "float32")) * ops.cast(mask, "float32")
            gates = gates / ops.maximum(ops.sum(gates, axis=1, keepdims=True), 1e-12)
        return ops.sum(ops.cast(gates, hidden.dtype) * hidden, axis=1)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, gate=self.gate)
        return config
