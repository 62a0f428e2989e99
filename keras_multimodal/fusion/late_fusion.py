"""Decision (late) fusion: one head per modality, their decisions combined."""

import keras
from keras import ops

from keras_multimodal.fusion.modality_ops import masked_softmax
from keras_multimodal.fusion.modality_ops import present_pooled
from keras_multimodal.fusion.registry import register_fusion

COMBINERS = ("mean", "max", "product", "learned")
ACTIVATIONS = ("sigmoid", "softmax", "linear")
_EPS = 1e-12


@register_fusion("late")
class LateFusion(keras.layers.Layer):
    """A small prediction head per modality; the present modalities' decisions are combined.

    Each modality's pooled vector goes through its own head (`Dense(units,
    relu)`, dropout, `Dense(output_units, output_activation)`), so each
    modality predicts the target alone; the predictions of the modalities
    present in a sample are then combined by `combiner`:

    - `"mean"`: the average of the present modalities' outputs (probabilities,
      or values for regression).
    - `"max"`: the max rule. Softmax: the largest probability per class over
      the present modalities, renormalised over the classes. Sigmoid: each unit
      is a two-class distribution `(p, 1 - p)`, so the result is
      `max p / (max p + max(1 - p))`.
    - `"product"`: Bayes' rule under conditional independence and a uniform
      prior: the normalised product of the class probabilities, computed in
      log space (sigmoid: combining `p` and `1 - p` per unit gives
      `sigmoid(sum of logits)`; softmax: `softmax(sum of log-probabilities)`).
    - `"learned"`: a weighted average with learned weights, softmax-normalised
      over the present modalities (one scalar per modality, or one per output
      unit with `weights_per_unit=True`); initialised equal, i.e. to `"mean"`.

    An absent modality contributes nothing and the rule renormalises over
    the present ones; a sample with no modality present gets the prior (0.5
    for sigmoid, uniform for softmax, 0 for linear). `"max"` and `"product"`
    need probabilities, so they are refused for a linear (regression) output.

    Args:
        output_units: int. Number of output units. Defaults to 1.
        output_activation: str. `"sigmoid"`, `"softmax"` or `"linear"`.
            Defaults to `"sigmoid"`.
        combiner: str. `"mean"`, `"max"`, `"product"` or `"learned"`.
            Defaults to `"mean"`.
        units: int. Hidden units of each modality head. Defaults to 64.
        dropout: float. Dropout after each head's hidden layer. Defaults to 0.2.
        l2: float. L2 penalty on the heads' kernels. Defaults to 0.
        weights_per_unit: bool. With `combiner="learned"`, learn one weight per
            modality and output unit instead of one per modality. Defaults to False.

    Call arguments:
        features: dict keyed by input name of encoder outputs (each with a
            `pooled` `(batch, dim)` tensor).
        present: dict of `(batch, 1)` float presence flags (1 = present).
        training: bool. Enables dropout.

    Returns:
        float32 `(batch, output_units)`: the final prediction.

    Raises:
        ValueError: for an unknown combiner or activation, `"max"` /
            `"product"` with a linear output, or `weights_per_unit` without
            `"learned"`.
    """

    produces_output = True

    def __init__(
        self,
        output_units=1,
        output_activation="sigmoid",
        combiner="mean",
        units=64,
        dropout=0.2,
        l2=0.0,
        weights_per_unit=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if combiner not in COMBINERS:
            raise ValueError(f"Invalid value for argument `combiner`. Expected one of {COMBINERS}. Received: combiner={combiner!r}")
        if output_activation not in ACTIVATIONS:
            raise ValueError(
                f"Invalid value for argument `output_activation`. Expected one of {ACTIVATIONS}. "
                f"Received: output_activation={output_activation!r}"
            )
        if output_activation == "linear" and combiner in ("max", "product"):
            raise ValueError(
                f"combiner={combiner!r} combines class probabilities and cannot combine a linear "
                "(regression) output; use combiner='mean' or 'learned'."
            )
        if weights_per_unit and combiner != "learned":
            raise ValueError(f"weights_per_unit=True needs combiner='learned' (received combiner={combiner!r}).")
        self.output_units = int(output_units)
        self.output_activation = output_activation
        self.combiner = combiner
        self.units = int(units)
        self.dropout = float(dropout)
        self.l2 = float(l2)
        self.weights_per_unit = bool(weights_per_unit)

    def _head(self, prefix, input_dim):
        """Hidden Dense, Dropout and a float32 output Dense (logits), built."""
        regularizer = keras.regularizers.L2(self.l2) if self.l2 else None
        hidden = keras.layers.Dense(self.units, activation="relu", kernel_regularizer=regularizer, name=f"{prefix}_hidden")
        hidden.build((None, input_dim))
        drop = keras.layers.Dropout(self.dropout, name=f"{prefix}_dropout")
        # Logits in float32: the combination runs in log/probability space.
        logits = keras.layers.Dense(self.output_units, kernel_regularizer=regularizer, name=f"{prefix}_logits", dtype="float32")
        logits.build((None, self.units))
        return hidden, drop, logits

    def _decision_count(self):
        return len(self.names)

    def build(self, features_shape, present_shape):
        self.names = tuple(sorted(features_shape))
        heads = [self._head(name, features_shape[name]["pooled"][-1]) for name in self.names]
        self.hidden = [h[0] for h in heads]
        self.drops = [h[1] for h in heads]
        self.decisions = [h[2] for h in heads]
        if self.combiner == "learned":
            width = self.output_units if self.weights_per_unit else 1
            self.combination_logits = self.add_weight(
                shape=(self._decision_count(), width), initializer="zeros", name="combination_logits"
            )

    def _decisions(self, features, present, training):
        """Masked pooled vectors, float32 flags and float32 logits, per modality."""
        _, pooled, flags = present_pooled(features, present)
        logits = [
            ops.cast(out(drop(hidden(x), training=training)), "float32")
            for x, hidden, drop, out in zip(pooled, self.hidden, self.drops, self.decisions)
        ]
        return pooled, [ops.cast(f, "float32") for f in flags], logits

    def call(self, features, present, training=None):
        _, flags, logits = self._decisions(features, present, training)
        return self._combine(ops.stack(logits, axis=1), ops.concatenate(flags, axis=-1))

    def _combine(self, logits, flags):
        """`logits` `(batch, M, units)` and `flags` `(batch, M)` -> `(batch, units)`."""
        mask = flags[:, :, None]
        if self.combiner == "product":
            return self._product(logits, mask)
        values = self._activate(logits)
        if self.combiner == "max":
            out = self._max(values, mask)
        else:
            if self.combiner == "learned":
                weights = masked_softmax(self.combination_logits[None], mask, axis=1)
            else:
                weights = mask / ops.maximum(ops.sum(mask, axis=1, keepdims=True), 1.0)
            out = ops.sum(weights * values, axis=1)
            if self.output_activation == "softmax":  # per-unit weights unbalance the classes
                out = out / ops.maximum(ops.sum(out, axis=-1, keepdims=True), _EPS)
        any_present = ops.max(flags, axis=1, keepdims=True) > 0
        return ops.where(any_present, out, ops.full_like(out, self._prior()))

    def _activate(self, logits):
        if self.output_activation == "sigmoid":
            return ops.sigmoid(logits)
        if self.output_activation == "softmax":
            return ops.softmax(logits, axis=-1)
        return logits

    def _prior(self):
        return {"sigmoid": 0.5, "softmax": 1.0 / self.output_units, "linear": 0.0}[self.output_activation]

    def _product(self, logits, mask):
        # An empty sum (no modality present) gives logit 0: the uniform prior.
        if self.output_activation == "sigmoid":
            # log p - log(1 - p) summed over modalities is the sum of the logits.
            return ops.sigmoid(ops.sum(ops.where(mask > 0, logits, 0.0), axis=1))
        log_probs = ops.log_softmax(logits, axis=-1)
        return ops.softmax(ops.sum(ops.where(mask > 0, log_probs, 0.0), axis=1), axis=-1)

    def _max(self, probs, mask):
        if self.output_activation == "sigmoid":
            high = ops.max(ops.where(mask > 0, probs, 0.0), axis=1)
            low = ops.max(ops.where(mask > 0, 1.0 - probs, 0.0), axis=1)
            return high / ops.maximum(high + low, _EPS)
        best = ops.max(ops.where(mask > 0, probs, 0.0), axis=1)
        return best / ops.maximum(ops.sum(best, axis=-1, keepdims=True), _EPS)

    def get_config(self):
        config = super().get_config()
        config.update(
            output_units=self.output_units,
            output_activation=self.output_activation,
            combiner=self.combiner,
            units=self.units,
            dropout=self.dropout,
            l2=self.l2,
            weights_per_unit=self.weights_per_unit,
        )
        return config
