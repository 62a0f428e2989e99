"""A transformer text encoder over token ids (keras-hub encoder blocks)."""

import keras
import keras_hub
from keras import ops

from keras_multimodal.encoders.registry import register_encoder


@register_encoder("transformer", modality="text")
class TextTransformerEncoder(keras.layers.Layer):
    """Token and position embedding, transformer encoder blocks, masked mean pooling.

    The blocks are `keras_hub.layers.TransformerEncoder` with the padding
    mask (token id 0), so padding never receives attention. The position
    table has one row per position of the input's sequence length, known
    when the layer is built.

    Args:
        vocabulary_size: int. Number of token ids (from the fitted vocabulary).
        embedding_dim: int. Token embedding and model width, the output size.
            Defaults to 64.
        num_layers: int. Number of transformer encoder blocks. Defaults to 2.
        num_heads: int. Attention heads per block. Defaults to 4.
        intermediate_dim: int. Hidden size of each block's feed-forward network.
            Defaults to 128.
        dropout: float. Dropout inside the blocks. Defaults to 0.2.
        l2: float. L2 weight penalty on the embeddings and all kernels. Defaults to 0.

    Call arguments:
        inputs: int tensor `(batch, sequence_length)`, 0 = padding.

    Returns:
        dict: `pooled` `(batch, embedding_dim)`, the mean over real tokens
        (zeros for an all-padding row); `tokens` `(batch, sequence_length,
        embedding_dim)`, zero at padding; `token_mask` `(batch, sequence_length)`,
        1 at real tokens.
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim=64,
        num_layers=2,
        num_heads=4,
        intermediate_dim=128,
        dropout=0.2,
        l2=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = int(vocabulary_size)
        self.embedding_dim = int(embedding_dim)
        self.num_layers = int(num_layers)
        self.num_heads = int(num_heads)
        self.intermediate_dim = int(intermediate_dim)
        self.dropout = float(dropout)
        self.l2 = float(l2)
        self.output_dim = self.embedding_dim
        self.blocks = [
            keras_hub.layers.TransformerEncoder(
                self.intermediate_dim, self.num_heads, dropout=self.dropout, name=f"transformer_{i}"
            )
            for i in range(self.num_layers)
        ]

    def build(self, input_shape):
        if input_shape[1] is None:
            raise ValueError(f"{type(self).__name__} needs a fixed sequence length; received input_shape={input_shape}")
        # The position table's size is the input's sequence length, known only here.
        self.embedding = keras_hub.layers.TokenAndPositionEmbedding(
            self.vocabulary_size, input_shape[1], self.embedding_dim, name="embedding"
        )
        self.embedding.build(input_shape)
        shape = (input_shape[0], input_shape[1], self.embedding_dim)
        for block in self.blocks:
            block.build(shape)
        if self.l2:
            # keras-hub blocks take no regularizer arguments; a variable's
            # `regularizer` is what `Layer.losses` collects, so set it directly.
            for variable in self.trainable_weights:
                if variable.name in ("kernel", "embeddings"):
                    variable.regularizer = keras.regularizers.L2(self.l2)

    def call(self, inputs, training=None):
        padding_mask = ops.not_equal(inputs, 0)
        x = self.embedding(inputs)
        for block in self.blocks:
            x = block(x, padding_mask=padding_mask, training=training)
        token_mask = ops.cast(padding_mask, x.dtype)
        tokens = x * token_mask[..., None]
        count = ops.maximum(ops.sum(token_mask, axis=1, keepdims=True), 1.0)
        return {"pooled": ops.sum(tokens, axis=1) / count, "tokens": tokens, "token_mask": token_mask}

    def get_config(self):
        config = super().get_config()
        config.update(
            vocabulary_size=self.vocabulary_size,
            embedding_dim=self.embedding_dim,
            num_layers=self.num_layers,
            num_heads=self.num_heads,
            intermediate_dim=self.intermediate_dim,
            dropout=self.dropout,
            l2=self.l2,
        )
        return config
