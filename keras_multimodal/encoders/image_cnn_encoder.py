"""A small convolutional image encoder."""

import keras
from keras import ops

from keras_multimodal.encoders.registry import register_encoder


@register_encoder("cnn", modality="image")
class ImageCNNEncoder(keras.layers.Layer):
    """Conv blocks (conv, batch norm, ReLU, max-pool), global average pooling, dense projection.

    Args:
        filters: list of int. Filters per conv block. Defaults to `(16, 32, 64)`.
        kernel_size: int. Convolution kernel size. Defaults to 3.
        output_dim: int or None. Size of the ReLU projection that makes the
            pooled vector; None: no projection, the pooled vector is the
            globally averaged last feature map (`filters[-1]` wide). Defaults to 64.
        dropout: float. Dropout before the projection. Defaults to 0.2.
        l2: float. L2 weight penalty on kernels. Defaults to 0.

    Call arguments:
        inputs: float tensor `(batch, height, width, channels)` in [0, 1].

    Returns:
        dict: `pooled` `(batch, output_dim or filters[-1])`; `tokens` `(batch, h * w, filters[-1])`,
        the last feature map's cells; `token_mask` `(batch, h * w)` of ones.
    """

    # `output_dim` shapes the pooled vector only: the builder drops the projection for a fusion
    # that reads tokens (see models/builder.py).
    projects_pooled = True

    def __init__(self, filters=(16, 32, 64), kernel_size=3, output_dim=64, dropout=0.2, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.filters = tuple(int(f) for f in filters)
        self.kernel_size = int(kernel_size)
        self.output_dim = None if output_dim is None else int(output_dim)
        self.dropout = float(dropout)
        self.l2 = float(l2)
        regularizer = keras.regularizers.L2(self.l2) if self.l2 else None
        self.blocks = []
        for i, f in enumerate(self.filters):
            self.blocks += [
                keras.layers.Conv2D(f, self.kernel_size, padding="same", use_bias=False, kernel_regularizer=regularizer, name=f"conv_{i}"),
                keras.layers.BatchNormalization(momentum=0.9, name=f"bn_{i}"),
                keras.layers.ReLU(name=f"relu_{i}"),
                keras.layers.MaxPooling2D(2, name=f"pool_{i}"),
            ]
        self.pool = keras.layers.GlobalAveragePooling2D(name="gap")
        self.drop = keras.layers.Dropout(self.dropout, name="dropout")
        self.projection = None
        if self.output_dim is not None:
            self.projection = keras.layers.Dense(self.output_dim, activation="relu", kernel_regularizer=regularizer, name="projection")

    def build(self, input_shape):
        shape = input_shape
        for layer in self.blocks:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self.pool.build(shape)
        shape = self.pool.compute_output_shape(shape)
        if self.projection is not None:
            self.projection.build(shape)

    def call(self, inputs, training=None):
        x = inputs
        for layer in self.blocks:
            x = layer(x, training=training)
        pooled = self.drop(self.pool(x), training=training)
        if self.projection is not None:
            pooled = self.projection(pooled)
        height, width, channels = x.shape[1], x.shape[2], x.shape[3]
        tokens = ops.reshape(x, (-1, height * width, channels))
        return {"pooled": pooled, "tokens": tokens, "token_mask": ops.ones_like(tokens[..., 0])}

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=list(self.filters),
            kernel_size=self.kernel_size,
            output_dim=self.output_dim,
            dropout=self.dropout,
            l2=self.l2,
        )
        return config
