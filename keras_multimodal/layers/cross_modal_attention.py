"""IRENE-style cross-modal attention over a dict of modality token sequences (keras.ops only)."""

import keras
from keras import ops

from keras_multimodal.registry import PACKAGE

COMBINES = ("mean", "sum", "gated", "joint")
# A masked logit: exp(-1e9 - max) is exactly 0 in float32, where softmax runs.
_NEG = -1e9


def resolve_masks(inputs, masks=None, presence=None, implicit=None):
    """Per-modality boolean token masks and presence flags, with the documented fallbacks.

    Args:
        inputs: dict of `(batch, length, dim)` tensors.
        masks: optional dict of `(batch, length)` masks (bool or 0/1), True = real token.
        presence: optional dict of `(batch,)` or `(batch, 1)` flags, True = modality present.
        implicit: optional dict of implicit Keras masks (e.g. from `Embedding(mask_zero=True)`).

    Returns:
        `(token_masks, present)`: dicts of bool `(batch, length)` token masks (already
        AND-ed with presence) and bool `(batch,)` flags, True only where the modality
        is present and has at least one real token.
    """
    token_masks, present = {}, {}
    for name, x in inputs.items():
        mask = (masks or {}).get(name)
        if mask is None:
            mask = (implicit or {}).get(name)
        mask = ops.ones_like(x[..., 0], dtype="bool") if mask is None else ops.cast(mask, "bool")
        flag = ops.any(mask, axis=1)
        given = (presence or {}).get(name)
        if given is not None:
            flag = ops.logical_and(flag, ops.reshape(ops.cast(given, "bool"), (-1,)))
        token_masks[name] = ops.logical_and(mask, flag[:, None])
        present[name] = flag
    return token_masks, present


def _softmax(logits, axis=-1):
    # Written out rather than ops.softmax, which warns on the length-1 axis of a
    # single-token modality (a pooled vector used as one token).
    shifted = logits - ops.stop_gradient(ops.max(logits, axis=axis, keepdims=True))
    weights = ops.exp(shifted)
    return weights / ops.sum(weights, axis=axis, keepdims=True)


@keras.saving.register_keras_serializable(package=PACKAGE)
class CrossModalAttention(keras.layers.Layer):
    """Bidirectional multimodal attention: every modality attends to every (allowed) modality.

    Each modality m gets its own query/key/value projections, computed once and
    reused for every (target, source) pair. For each pair, the target's queries
    attend over the source's keys with a separate softmax (IRENE); the per-source
    contexts are then combined (`mean` is IRENE's (C_tt + C_ts) / 2) and projected
    by an output projection shared across modalities (IRENE) or per modality.
    Logits and softmax run in float32 under mixed precision. Masked keys get
    weight exactly 0; a source with no valid key for a sample (absent modality or
    all padding) contributes nothing and is left out of the mean's denominator;
    masked and absent query tokens output zeros. Never attends across the batch.

    Args:
        num_heads: int. Number of attention heads.
        key_dim: int. Per-head query/key size.
        value_dim: int. Per-head value size. Defaults to `key_dim`.
        output_dim: int. Output size. Defaults to each modality's input size
            (which must then agree when the output projection is shared).
        dropout: float. Dropout on the outputs. Defaults to 0.
        attention_dropout: float. Dropout on the attention maps. Defaults to 0.
        include_self: bool. Whether a modality attends to itself (IRENE: True).
        pairs: list of `(target, source)` names that may attend; None = all pairs.
        combine: str. How a target's per-source contexts combine: `"mean"` over
            present sources (IRENE), `"sum"`, `"gated"` (learned per target, source
            and head logits, softmax over present sources) or `"joint"` (one
            softmax over the concatenated keys of all sources).
        share_output_projection: bool. One output projection for all modalities
            (IRENE) or one per modality. Defaults to True.
        use_bias: bool. Biases in the projections. Defaults to True.
        kernel_initializer: initializer for the projection kernels.
        seed: int. Seed of the dropout layers.

    Call arguments:
        inputs: dict `{name: (batch, length_m, dim_m)}`.
        masks: optional dict `{name: (batch, length_m)}`, True/1 = real token. Falls
            back to the tensors' implicit Keras masks (`mask`), then to all True.
        presence: optional dict `{name: (batch,)}`, True/1 = modality present.
            Defaults to "has at least one real token".
        training: bool.
        return_attention_scores: bool. Also return the attention maps.

    Returns:
        dict `{name: (batch, length_m, output_dim_m)}`; with
        `return_attention_scores`, also a dict `{(target, source): (batch, heads,
        length_t, length_s)}` of float32 maps (before attention dropout).
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        output_dim=None,
        dropout=0.0,
        attention_dropout=0.0,
        include_self=True,
        pairs=None,
        combine="mean",
        share_output_projection=True,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if combine not in COMBINES:
            raise ValueError(f"Invalid value for argument `combine`. Expected one of {COMBINES}. Received: combine={combine!r}")
        self.num_heads = int(num_heads)
        self.key_dim = int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.output_dim = int(output_dim) if output_dim else None
        self.dropout = float(dropout)
        self.attention_dropout = float(attention_dropout)
        self.include_self = bool(include_self)
        self.pairs = None if pairs is None else [tuple(p) for p in pairs]
        self.combine = combine
        self.share_output_projection = bool(share_output_projection)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.seed = seed
        self.supports_masking = True
        self.attention_drop = keras.layers.Dropout(self.attention_dropout, seed=seed, name="attention_dropout")
        self.output_drop = keras.layers.Dropout(self.dropout, seed=None if seed is None else seed + 1, name="output_dropout")

    # === Structure ===
    def _routes(self, names):
        """{target: sorted allowed sources}."""
        allowed = set(self.pairs) if self.pairs is not None else {(t, s) for t in names for s in names}
        unknown = {n for pair in allowed for n in pair} - set(names)
        if unknown:
            raise ValueError(f"`pairs` names unknown modalities {sorted(unknown)}; inputs are {names}.")
        return {t: [s for s in names if (t, s) in allowed and (self.include_self or s != t)] for t in names}

    def _output_dims(self, input_shape):
        dims = {n: self.output_dim or int(input_shape[n][-1]) for n in input_shape}
        if self.share_output_projection and len(set(dims.values())) > 1:
            raise ValueError(
                f"A shared output projection needs one output size, but the inputs have sizes {dims}. "
                "Pass `output_dim` or `share_output_projection=False`."
            )
        return dims

    def _einsum(self, equation, output_shape, bias_axes, name):
        return keras.layers.EinsumDense(
            equation,
            output_shape=output_shape,
            bias_axes=bias_axes if self.use_bias else None,
            kernel_initializer=keras.initializers.get(keras.initializers.serialize(self.kernel_initializer)),
            dtype=self.dtype_policy,
            name=name,
        )

    def build(self, input_shape):
        self.names = sorted(input_shape)
        self.routes = self._routes(self.names)
        self.output_dims = self._output_dims(input_shape)
        self.query_dense, self.key_dense, self.value_dense, self.output_dense = {}, {}, {}, {}
        for n in self.names:
            shape = tuple(input_shape[n])
            for table, kind, size in ((self.query_dense, "query", self.key_dim), (self.key_dense, "key", self.key_dim), (self.value_dense, "value", self.value_dim)):
                table[n] = self._einsum("btd,dnh->btnh", (None, self.num_heads, size), "nh", f"{n}_{kind}")
                table[n].build(shape)
        owners = ["shared"] if self.share_output_projection else self.names
        for owner in owners:
            size = self.output_dims[self.names[0] if owner == "shared" else owner]
            self.output_dense[owner] = self._einsum("btnh,nho->bto", (None, size), "o", f"{owner}_output")
            self.output_dense[owner].build((None, None, self.num_heads, self.value_dim))
        self.gate_logits = {}
        if self.combine == "gated":
            for t in self.names:  # zeros: the gate starts as the plain mean
                self.gate_logits[t] = self.add_weight(shape=(max(len(self.routes[t]), 1), self.num_heads), initializer="zeros", name=f"{t}_gate_logits")

    # === Forward ===
    def call(self, inputs, masks=None, presence=None, training=None, return_attention_scores=False, mask=None):
        token_masks, present = resolve_masks(inputs, masks, presence, mask)
        # Replace (not multiply) padded values, so even inf/NaN there cannot leak.
        x = {n: ops.where(token_masks[n][..., None], inputs[n], ops.zeros_like(inputs[n])) for n in self.names}
        q = {n: ops.cast(self.query_dense[n](x[n]), "float32") * (self.key_dim**-0.5) for n in self.names}
        k = {n: ops.cast(self.key_dense[n](x[n]), "float32") for n in self.names}
        v = {n: self.value_dense[n](x[n]) for n in self.names}
        outputs, scores = {}, {}
        for t in self.names:
            probs = self._attend(t, q, k, token_masks, present)
            scores.update({(t, s): p for s, p in probs.items()})
            context = self._combine(t, probs, v, present, training)
            owner = "shared" if self.share_output_projection else t
            out = self.output_drop(self.output_dense[owner](context), training=training)
            outputs[t] = ops.where(token_masks[t][..., None], out, ops.zeros_like(out))
        return (outputs, scores) if return_attention_scores else outputs

    def _logits(self, t, s, q, k, token_masks):
        logits = ops.einsum("btnh,bsnh->bnts", q[t], k[s])
        return ops.where(token_masks[s][:, None, None, :], logits, _NEG)

    def _attend(self, t, q, k, token_masks, present):
        """{source: float32 (batch, heads, L_t, L_s) attention}, zero rows where nothing is valid."""
        sources = self.routes[t]
        if not sources:
            return {}
        if self.combine != "joint":
            probs = {}
            for s in sources:
                p = _softmax(self._logits(t, s, q, k, token_masks), axis=-1)
                probs[s] = ops.where(present[s][:, None, None, None], p, ops.zeros_like(p))
            return probs
        logits = ops.concatenate([self._logits(t, s, q, k, token_masks) for s in sources], axis=-1)
        p = _softmax(logits, axis=-1)
        any_valid = ops.any(ops.stack([present[s] for s in sources], axis=1), axis=1)
        p = ops.where(any_valid[:, None, None, None], p, ops.zeros_like(p))
        lengths = [k[s].shape[1] for s in sources]
        bounds = [sum(lengths[:i]) for i in range(1, len(lengths))]
        return dict(zip(sources, ops.split(p, bounds, axis=-1) if bounds else [p]))

    def _combine(self, t, probs, v, present, training):
        """Merged context (batch, L_t, heads, value_dim) for target t."""
        dtype = v[t].dtype
        contexts = []
        for s, p in probs.items():
            p = ops.cast(self.attention_drop(p, training=training), dtype)
            contexts.append(ops.einsum("bnts,bsnh->btnh", p, v[s]))
        if not contexts:
            return ops.zeros_like(v[t])
        flags = ops.stack([ops.cast(present[s], dtype) for s in probs], axis=1)  # (batch, sources)
        if self.combine == "mean":
            weights = flags / ops.maximum(ops.sum(flags, axis=1, keepdims=True), 1.0)
            weights = ops.repeat(weights[:, :, None], self.num_heads, axis=2)
        elif self.combine == "gated":
            weights = self._gates(t, flags)
        else:  # "sum", and "joint" whose shared softmax already normalised
            weights = ops.repeat(ops.ones_like(flags)[:, :, None], self.num_heads, axis=2)
        return sum(c * weights[:, i, :][:, None, :, None] for i, c in enumerate(contexts))

    def _gates(self, t, flags):
        """Softmax over present sources of the learned (source, head) logits: (batch, sources, heads)."""
        logits = ops.cast(self.gate_logits[t], "float32")[None] + ops.zeros_like(ops.cast(flags, "float32"))[:, :, None]
        keep = flags[:, :, None] > 0
        logits = ops.where(keep, logits, _NEG)
        weights = _softmax(logits, axis=1)
        return ops.cast(ops.where(keep, weights, ops.zeros_like(weights)), flags.dtype)

    # === Shapes and config ===
    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        dims = self._output_dims(input_shape)
        return {n: (*tuple(input_shape[n])[:-1], dims[n]) for n in input_shape}

    def compute_output_spec(self, inputs, masks=None, presence=None, training=None, return_attention_scores=False, mask=None):
        shapes = self.compute_output_shape({n: x.shape for n, x in inputs.items()})
        outputs = {n: keras.KerasTensor(s, dtype=self.compute_dtype) for n, s in shapes.items()}
        if not return_attention_scores:
            return outputs
        scores = {}
        for t, sources in self._routes(sorted(inputs)).items():
            for s in sources:
                shape = (inputs[t].shape[0], self.num_heads, inputs[t].shape[1], inputs[s].shape[1])
                scores[(t, s)] = keras.KerasTensor(shape, dtype="float32")
        return outputs, scores

    def get_config(self):
        config = super().get_config()
        config.update(
            num_heads=self.num_heads,
            key_dim=self.key_dim,
            value_dim=self.value_dim,
            output_dim=self.output_dim,
            dropout=self.dropout,
            attention_dropout=self.attention_dropout,
            include_self=self.include_self,
            pairs=None if self.pairs is None else [list(p) for p in self.pairs],
            combine=self.combine,
            share_output_projection=self.share_output_projection,
            use_bias=self.use_bias,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            seed=self.seed,
        )
        return config
