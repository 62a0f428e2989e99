"""A feature-token tabular encoder (FT-Transformer / IRENE lab tokens)."""

import keras
from keras import ops

from keras_multimodal.encoders.cls_tokens import check_options
from keras_multimodal.encoders.cls_tokens import encode_tokens
from keras_multimodal.encoders.cls_tokens import prepend_cls
from keras_multimodal.encoders.cls_tokens import set_l2
from keras_multimodal.encoders.cls_tokens import transformer_blocks
from keras_multimodal.encoders.registry import register_encoder


@register_encoder("tokens", modality="tabular")
class TabularTokenEncoder(keras.layers.Layer):
    """One token per feature, a learned token for a missing value, transformer blocks.

    Numeric feature f with value x becomes `x * w_f + b_f`: `b_f` is the
    feature's own embedding, `w_f` its value direction (one `w` shared by
    all features with `shared_weight=True`, IRENE's lab scheme; one per
    feature otherwise, FT-Transformer's). Where the `missing` flag is 1 the
    token is a learned per-feature "missing" vector instead, so the
    placeholder value never reaches the model. Categorical column j becomes
    its own embedding row plus a feature embedding; index 0 (missing) has
    its own learned row and indices outside the vocabulary map to 1
    (unseen). The tokens go through `num_layers` pre-LN
    `keras_hub.layers.TransformerEncoder` blocks and a final layer norm.

    Args:
        num_numeric: int. Number of numeric columns.
        category_sizes: list of int. Vocabulary size per categorical column
            (0 = missing, 1 = unseen, 2.. = known categories).
        embedding_dim: int. Token width, the output size. Defaults to 32.
        num_layers: int. Number of transformer blocks. Defaults to 2.
        num_heads: int. Attention heads; must divide `embedding_dim`. Defaults to 4.
        intermediate_dim: int. Hidden size of each block's MLP. Defaults to 64.
        pooling: `"cls"` (prepend a learned CLS token and return it) or
            `"mean"` (mean of the feature tokens). Defaults to `"cls"`.
        shared_weight: bool. One value weight for all numeric features
            (IRENE) instead of one per feature (FT-Transformer). Defaults to False.
        dropout: float. Dropout on the tokens and inside the blocks. Defaults to 0.2.
        l2: float. L2 penalty on the value weights, category embeddings and
            all block kernels. Defaults to 0.

    Call arguments:
        inputs: dict with `numeric` `(batch, num_numeric)` float (0 where
            missing), `missing` `(batch, num_numeric)` float flags (1 =
            missing), `categorical` `(batch, num_categorical)` int; keys only
            for the parts that exist.
        training: bool. Whether dropout is active.

    Returns:
        dict: `pooled` `(batch, embedding_dim)`; `tokens` `(batch,
        num_numeric + num_categorical, embedding_dim)`, numeric tokens first;
        `token_mask` of ones (a missing value is a token, the learned one).
    """

    def __init__(
        self,
        num_numeric=0,
        category_sizes=(),
        embedding_dim=32,
        num_layers=2,
        num_heads=4,
        intermediate_dim=64,
        pooling="cls",
        shared_weight=False,
        dropout=0.2,
        l2=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_options(pooling, embedding_dim, num_heads)
        self.num_numeric = int(num_numeric)
        self.category_sizes = tuple(int(s) for s in category_sizes)
        if not self.num_numeric and not self.category_sizes:
            raise ValueError("TabularTokenEncoder needs at least one numeric or categorical column")
        self.embedding_dim = int(embedding_dim)
        self.num_layers = int(num_layers)
        self.num_heads = int(num_heads)
        self.intermediate_dim = int(intermediate_dim)
        self.pooling = pooling
        self.shared_weight = bool(shared_weight)
        self.dropout = float(dropout)
        self.l2 = float(l2)
        self.output_dim = self.embedding_dim
        self.num_tokens = self.num_numeric + len(self.category_sizes)
        self.embeddings = [keras.layers.Embedding(size, self.embedding_dim, name=f"category_{i}") for i, size in enumerate(self.category_sizes)]
        self.token_dropout = keras.layers.Dropout(self.dropout, name="token_dropout")
        self.blocks = transformer_blocks(self.num_layers, self.intermediate_dim, self.num_heads, self.dropout)
        self.final_norm = keras.layers.LayerNormalization(name="final_norm")

    def build(self, input_shape):
        expected = {"numeric": self.num_numeric, "missing": self.num_numeric, "categorical": len(self.category_sizes)}
        for key, width in expected.items():
            got = input_shape[key][-1] if key in input_shape else 0
            if got != width:
                raise ValueError(f"TabularTokenEncoder expects `{key}` with {width} columns; received input shapes {input_shape}")
        # FT-Transformer's tokenizer initialisation: uniform(+-1/sqrt(d)).
        bound = self.embedding_dim**-0.5
        init = keras.initializers.RandomUniform(-bound, bound)
        dim = self.embedding_dim
        if self.num_numeric:
            rows = 1 if self.shared_weight else self.num_numeric
            self.numeric_weight = self.add_weight(shape=(rows, dim), initializer=init, name="numeric_weight")
            self.numeric_bias = self.add_weight(shape=(self.num_numeric, dim), initializer=init, name="numeric_bias")
            self.missing_token = self.add_weight(shape=(self.num_numeric, dim), initializer=init, name="missing_token")
        if self.category_sizes:
            self.category_bias = self.add_weight(shape=(len(self.category_sizes), dim), initializer=init, name="category_bias")
        for embedding in self.embeddings:
            embedding.build((None,))
        self.cls_token = None
        if self.pooling == "cls":
            self.cls_token = self.add_weight(shape=(1, 1, dim), initializer=init, name="cls_token")
        shape = (None, self.num_tokens + (self.pooling == "cls"), dim)
        for block in self.blocks:
            block.build(shape)
        self.final_norm.build(shape)
        set_l2(self, self.l2, ("kernel", "embeddings", "numeric_weight"))

    def _feature_tokens(self, inputs):
        parts = []
        if self.num_numeric:
            dtype = self.compute_dtype
            value = ops.cast(inputs["numeric"], dtype)[..., None]
            tokens = value * ops.cast(self.numeric_weight, dtype) + ops.cast(self.numeric_bias, dtype)
            missing = ops.cast(inputs["missing"], "float32")[..., None] > 0.5
            # Selected, not blended: a missing feature's placeholder value cannot leak through.
            parts.append(ops.where(missing, ops.cast(self.missing_token, dtype)[None], tokens))
        if self.category_sizes:
            categorical = ops.cast(inputs["categorical"], "int32")
            columns = []
            for j, (size, embedding) in enumerate(zip(self.category_sizes, self.embeddings)):
                index = categorical[:, j]
                index = ops.where((index >= 0) & (index < size), index, min(1, size - 1))
                columns.append(embedding(index))
            bias = ops.cast(self.category_bias, self.compute_dtype)
            parts.append(ops.stack(columns, axis=1) + bias[None])
        return ops.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]

    def call(self, inputs, training=None):
        x = self._feature_tokens(inputs)
        x = prepend_cls(x, self.cls_token)
        x = self.token_dropout(x, training=training)
        return encode_tokens(x, self.blocks, self.final_norm, self.cls_token is not None, training)

    def get_config(self):
        config = super().get_config()
        config.update(
            num_numeric=self.num_numeric,
            category_sizes=list(self.category_sizes),
            embedding_dim=self.embedding_dim,
            num_layers=self.num_layers,
            num_heads=self.num_heads,
            intermediate_dim=self.intermediate_dim,
            pooling=self.pooling,
            shared_weight=self.shared_weight,
            dropout=self.dropout,
            l2=self.l2,
        )
        return config
