"""IRENE's bidirectional multimodal transformer block (pre-LN), for any number of modalities."""

import keras
from keras import ops

from keras_multimodal.layers.cross_modal_attention import CrossModalAttention
from keras_multimodal.layers.cross_modal_attention import resolve_masks
from keras_multimodal.registry import PACKAGE


@keras.saving.register_keras_serializable(package=PACKAGE)
class BidirectionalMultimodalBlock(keras.layers.Layer):
    """Per modality: LayerNorm → `CrossModalAttention` over all modalities → residual; LayerNorm → MLP → residual.

    Every modality keeps its own LayerNorms and MLP (IRENE); the attention's
    query/key/value projections are per modality too. With a single modality
    this is a standard pre-LN self-attention transformer block with a key
    padding mask. Padded and absent tokens are left unchanged (their updates
    are zeroed), so zero tokens stay zero and never become data.

    Args:
        num_heads: int. Attention heads.
        key_dim: int. Per-head query/key size.
        mlp_dim: int. Hidden size of the MLP (GELU).
        dropout: float. Dropout on the attention output and in the MLP. Defaults to 0.
        attention_dropout: float. Dropout on the attention maps. Defaults to 0.
        value_dim: int. Per-head value size. Defaults to `key_dim`.
        include_self: bool. Passed to `CrossModalAttention`. Defaults to True.
        pairs: list of `(target, source)` pairs. Passed to `CrossModalAttention`.
        combine: str. `"mean"`, `"sum"`, `"gated"` or `"joint"`, see `CrossModalAttention`.
        share_output_projection: bool. Passed to `CrossModalAttention`. Defaults to True.
        use_bias: bool. Biases in the attention projections. Defaults to True.
        kernel_initializer: initializer of the attention kernels.
        seed: int. Seed of the dropout layers.

    Call arguments:
        inputs: dict `{name: (batch, length_m, dim_m)}`.
        masks: optional dict `{name: (batch, length_m)}`, True/1 = real token
            (falls back to the implicit Keras masks, then to all True).
        presence: optional dict `{name: (batch,)}`, True/1 = modality present.
        training: bool.

    Returns:
        dict `{name: (batch, length_m, dim_m)}`.
    """

    def __init__(
        self,
        num_heads,
        key_dim,
        mlp_dim,
        dropout=0.0,
        attention_dropout=0.0,
        value_dim=None,
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
        self.num_heads = int(num_heads)
        self.key_dim = int(key_dim)
        self.mlp_dim = int(mlp_dim)
        self.dropout = float(dropout)
        self.attention_dropout = float(attention_dropout)
        self.value_dim = int(value_dim) if value_dim else None
        self.include_self = bool(include_self)
        self.pairs = None if pairs is None else [tuple(p) for p in pairs]
        self.combine = combine
        self.share_output_projection = bool(share_output_projection)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.serialize(keras.initializers.get(kernel_initializer))
        self.seed = seed
        self.supports_masking = True
        self.attention = CrossModalAttention(**self._attention_options(), dtype=self.dtype_policy, name="attention")

    def _attention_options(self):
        return dict(
            num_heads=self.num_heads,
            key_dim=self.key_dim,
            value_dim=self.value_dim,
            dropout=self.dropout,
            attention_dropout=self.attention_dropout,
            include_self=self.include_self,
            pairs=None if self.pairs is None else [list(p) for p in self.pairs],
            combine=self.combine,
            share_output_projection=self.share_output_projection,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            seed=self.seed,
        )

    def build(self, input_shape):
        self.names = sorted(input_shape)
        self.attention.build({n: tuple(input_shape[n]) for n in self.names})
        self.attention_norms, self.mlp_norms, self.mlps = {}, {}, {}
        for i, n in enumerate(self.names):
            shape = tuple(input_shape[n])
            seed = None if self.seed is None else self.seed + 2 + 2 * i
            self.attention_norms[n] = keras.layers.LayerNormalization(epsilon=1e-6, dtype=self.dtype_policy, name=f"{n}_attention_norm")
            self.mlp_norms[n] = keras.layers.LayerNormalization(epsilon=1e-6, dtype=self.dtype_policy, name=f"{n}_mlp_norm")
            self.mlps[n] = [
                keras.layers.Dense(self.mlp_dim, activation="gelu", dtype=self.dtype_policy, name=f"{n}_mlp_hidden"),
                keras.layers.Dropout(self.dropout, seed=seed, name=f"{n}_mlp_hidden_dropout"),
                keras.layers.Dense(shape[-1], dtype=self.dtype_policy, name=f"{n}_mlp_output"),
                keras.layers.Dropout(self.dropout, seed=None if seed is None else seed + 1, name=f"{n}_mlp_output_dropout"),
            ]
            self.attention_norms[n].build(shape)
            self.mlp_norms[n].build(shape)
            self.mlps[n][0].build(shape)
            self.mlps[n][2].build((*shape[:-1], self.mlp_dim))

    def call(self, inputs, masks=None, presence=None, training=None, mask=None):
        token_masks, present = resolve_masks(inputs, masks, presence, mask)
        normed = {n: self.attention_norms[n](inputs[n]) for n in self.names}
        attended = self.attention(normed, masks=token_masks, presence=present, training=training)
        outputs = {}
        for n in self.names:
            x = inputs[n] + attended[n]  # attention output is already zero at masked tokens
            y = self.mlp_norms[n](x)
            for layer in self.mlps[n]:
                y = layer(y, training=training)
            outputs[n] = x + ops.where(token_masks[n][..., None], y, ops.zeros_like(y))
        return outputs

    def compute_mask(self, inputs, mask=None):
        return mask

    def compute_output_shape(self, input_shape):
        return {n: tuple(s) for n, s in input_shape.items()}

    def get_config(self):
        config = super().get_config()
        config.update(mlp_dim=self.mlp_dim, **self._attention_options())
        return config
