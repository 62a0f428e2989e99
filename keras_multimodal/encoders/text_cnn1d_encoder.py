"""A 1D-convolutional text encoder over token ids."""

import keras
from keras import ops

from keras_multimodal.encoders.registry import register_encoder

_POOLING = ("max", "mean")


@register_encoder("cnn1d", modality="text")
class TextCNN1DEncoder(keras.layers.Layer):
    """Embedding, a stack of same-padded ReLU `Conv1D`s, masked global pooling.

    Padding positions are zeroed after the embedding and after every
    convolution, so a text's features do not depend on how much padding
    follows it (the convolutions see zeros there, as at the sequence edges).

    Args:
        vocabulary_size: int. Number of token ids (from the fitted vocabulary).
        embedding_dim: int. Token embedding size. Defaults to 64.
        filters: list of int. Filters per convolution; the last one is the
            output size. Defaults to `(64, 64)`.
        kernel_size: int. Convolution width in tokens. Defaults to 5.
        pooling: str. `"max"` or `"mean"` over the real tokens. Defaults to `"max"`.
        dropout: float. Dropout after each convolution. Defaults to 0.2.
        l2: float. L2 weight penalty on the embedding and conv kernels. Defaults to 0.

    Call arguments:
        inputs: int tensor `(batch, sequence_length)`, 0 = padding.

    Returns:
        dict: `pooled` `(batch, filters[-1])`, zeros for an all-padding row;
        `tokens` `(batch, sequence_length, filters[-1])`, the last convolution's
        outputs, zero at padding; `token_mask` `(batch, sequence_length)`,
        1 at real tokens.
    """

    def __init__(
        self,
        vocabulary_size,
        embedding_dim=64,
        filters=(64, 64),
        kernel_size=5,
        pooling="max",
        dropout=0.2,
        l2=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if pooling not in _POOLING:
            raise ValueError(f"Invalid value for argument `pooling`. Expected one of {_POOLING}. Received: pooling={pooling!r}")
        self.vocabulary_size = int(vocabulary_size)
        self.embedding_dim = int(embedding_dim)
        self.filters = tuple(int(f) for f in filters)
        self.kernel_size = int(kernel_size)
        self.pooling = pooling
        self.dropout = float(dropout)
        self.l2 = float(l2)
        self.output_dim = self.filters[-1]
        regularizer = keras.regularizers.L2(self.l2) if self.l2 else None
        self.embedding = keras.layers.Embedding(
            self.vocabulary_size, self.embedding_dim, embeddings_regularizer=regularizer, name="embedding"
        )
        self.convs = [
            keras.layers.Conv1D(
                f, self.kernel_size, padding="same", activation="relu", kernel_regularizer=regularizer, name=f"conv_{i}"
            )
            for i, f in enumerate(self.filters)
        ]
        self.drop = keras.layers.Dropout(self.dropout, name="dropout")

    def build(self, input_shape):
        self.embedding.build(input_shape)
        shape = (input_shape[0], input_shape[1], self.embedding_dim)
        for conv in self.convs:
            conv.build(shape)
            shape = conv.compute_output_shape(shape)

    def call(self, inputs, training=None):
        x = self.embedding(inputs)
        token_mask = ops.cast(ops.not_equal(inputs, 0), x.dtype)
        x = x * token_mask[..., None]
        for conv in self.convs:
            x = self.drop(conv(x), training=training) * token_mask[..., None]
        if self.pooling == "max":
            # ReLU outputs are >= 0 and padding is 0, so the plain max is the
            # max over real tokens, and 0 for an all-padding row.
            pooled = ops.max(x, axis=1)
        else:
            count = ops.maximum(ops.sum(token_mask, axis=1, keepdims=True), 1.0)
            pooled = ops.sum(x, axis=1) / count
        return {"pooled": pooled, "tokens": x, "token_mask": token_mask}

    def get_config(self):
        config = super().get_config()
        config.update(
            vocabulary_size=self.vocabulary_size,
            embedding_dim=self.embedding_dim,
            filters=list(self.filters),
            kernel_size=self.kernel_size,
            pooling=self.pooling,
            dropout=self.dropout,
            l2=self.l2,
        )
        return config
