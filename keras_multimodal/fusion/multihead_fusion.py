"""Multi-head fusion: transformer blocks over one token per modality."""

import keras
from keras import ops

from keras_multimodal.fusion.modality_ops import masked_mean
from keras_multimodal.fusion.modality_ops import masked_softmax
from keras_multimodal.fusion.modality_ops import per_modality_dense
from keras_multimodal.fusion.modality_ops import present_pooled
from keras_multimodal.fusion.registry import register_fusion


@register_fusion("multihead")
class MultiHeadFusion(keras.layers.Layer):
    """Self-attention across modalities: each modality is one token of a per-sample sequence.

    Each modality's pooled vector is projected to `units` and added to a
    learned modality-type embedding, giving a `(batch, M, units)` sequence;
    `num_layers` pre-LayerNorm transformer blocks (multi-head self-attention
    with `num_heads` heads, then a GELU feed-forward of `intermediate_dim`,
    each in a residual branch with dropout) run over it, and the output is the
    mean of the final tokens of the present modalities. Attention is written
    on `keras.ops` with the key mask = presence, so a token never attends to
    an absent modality; attention runs within each sample's sequence, never
    across the batch.

    Args:
        units: int. Token width and output size. Defaults to 64.
        num_layers: int. Number of transformer blocks. Defaults to 1.
        num_heads: int. Attention heads; must divide `units`. Defaults to 4.
        intermediate_dim: int. Feed-forward hidden size. Defaults to 128.
        dropout: float. Dropout on the residual branches. Defaults to 0.1.

    Call arguments:
        features: dict keyed by input name of encoder outputs (each with a
            `pooled` `(batch, dim)` tensor).
        present: dict of `(batch, 1)` float presence flags (1 = present).
        training: bool. Enables dropout.

    Returns:
        `(batch, units)` tensor; zeros for a sample with no modality present.

    Raises:
        ValueError: if `num_heads` does not divide `units`.
    """

    def __init__(self, units=64, num_layers=1, num_heads=4, intermediate_dim=128, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        if int(units) % int(num_heads):
            raise ValueError(f"`num_heads` must divide `units`. Received: units={units}, num_heads={num_heads}")
        self.units = int(units)
        self.num_layers = int(num_layers)
        self.num_heads = int(num_heads)
        self.intermediate_dim = int(intermediate_dim)
        self.dropout = float(dropout)

    def build(self, features_shape, present_shape):
        self.names, self.projections = per_modality_dense(features_shape, self.units, "projection")
        self.type_embedding = self.add_weight(
            shape=(len(self.names), self.units), initializer=keras.initializers.RandomNormal(stddev=0.02), name="type_embedding"
        )
        token_shape = (None, len(self.names), self.units)
        self.blocks = [self._block(i, token_shape) for i in range(self.num_layers)]
        self.final_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="final_norm")
        self.final_norm.build(token_shape)

    def _block(self, index, token_shape):
        """The layers of one pre-LN block, built, in a dict."""
        def name(key):
            return f"block_{index}_{key}"

        layers = {
            "attention_norm": keras.layers.LayerNormalization(epsilon=1e-6, name=name("attention_norm")),
            "query": keras.layers.Dense(self.units, name=name("query")),
            "key": keras.layers.Dense(self.units, name=name("key")),
            "value": keras.layers.Dense(self.units, name=name("value")),
            "attention_output": keras.layers.Dense(self.units, name=name("attention_output")),
            "ffn_norm": keras.layers.LayerNormalization(epsilon=1e-6, name=name("ffn_norm")),
            "ffn_hidden": keras.layers.Dense(self.intermediate_dim, activation="gelu", name=name("ffn_hidden")),
            "ffn_output": keras.layers.Dense(self.units, name=name("ffn_output")),
        }
        for key, layer in layers.items():
            layer.build((None, token_shape[1], self.intermediate_dim) if key == "ffn_output" else token_shape)
        layers["dropout"] = keras.layers.Dropout(self.dropout, name=name("dropout"))
        return layers

    def _attention(self, block, x, key_mask):
        """Masked multi-head self-attention over the modality tokens of each sample."""
        count, depth = len(self.names), self.units // self.num_heads

        def heads(t):
            return ops.reshape(t, (-1, count, self.num_heads, depth))

        query, key, value = (heads(block[k](x)) for k in ("query", "key", "value"))
        logits = ops.einsum("bqhd,bkhd->bhqk", query, key) * (depth**-0.5)
        weights = ops.cast(masked_softmax(logits, key_mask, axis=-1), value.dtype)
        mixed = ops.einsum("bhqk,bkhd->bqhd", weights, value)
        return block["attention_output"](ops.reshape(mixed, (-1, count, self.units)))

    def call(self, features, present, training=None):
        _, pooled, flags = present_pooled(features, present)
        tokens = ops.stack([projection(x) for projection, x in zip(self.projections, pooled)], axis=1)
        x = tokens + ops.cast(self.type_embedding, tokens.dtype)[None]
        mask = ops.stack(flags, axis=1)  # (batch, M, 1)
        key_mask = ops.reshape(mask, (-1, 1, 1, len(self.names)))
        for block in self.blocks:
            attended = self._attention(block, block["attention_norm"](x), key_mask)
            x = x + block["dropout"](attended, training=training)
            hidden = block["ffn_output"](block["ffn_hidden"](block["ffn_norm"](x)))
            x = x + block["dropout"](hidden, training=training)
        return masked_mean(self.final_norm(x), mask, axis=1)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            num_layers=self.num_layers,
            num_heads=self.num_heads,
            intermediate_dim=self.intermediate_dim,
            dropout=self.dropout,
        )
        return config
