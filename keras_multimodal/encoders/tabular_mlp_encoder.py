"""A dense encoder for tabular features: category embeddings plus numerics."""

import keras
from keras import ops

from keras_multimodal.encoders.registry import register_encoder


@register_encoder("mlp", modality="tabular")
class TabularMLPEncoder(keras.layers.Layer):
    """Embeds each categorical column, concatenates numerics and their missing flags, then dense layers.

    Args:
        num_numeric: int. Number of numeric columns.
        category_sizes: list of int. Vocabulary size per categorical column
            (0 = missing, 1 = unseen, 2.. = known categories).
        embedding_dim: int. Embedding size per categorical column. Defaults to 8.
        units: list of int. Dense layer sizes; the last is the output size. Defaults to `(64,)`.
        dropout: float. Dropout after each dense layer. Defaults to 0.2.
        l2: float. L2 weight penalty on kernels. Defaults to 0.

    Call arguments:
        inputs: dict with `numeric` `(batch, num_numeric)` float, `missing`
            `(batch, num_numeric)` float flags, `categorical` `(batch, num_categorical)` int.

    Returns:
        dict: `pooled` `(batch, units[-1])` (no token sequence).
    """

    def __init__(self, num_numeric=0, category_sizes=(), embedding_dim=8, units=(64,), dropout=0.2, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_numeric = int(num_numeric)
        self.category_sizes = tuple(int(s) for s in category_sizes)
        self.embedding_dim = int(embedding_dim)
        self.units = tuple(int(u) for u in (units if isinstance(units, (list, tuple)) else [units]))
        self.dropout = float(dropout)
        self.l2 = float(l2)
        self.output_dim = self.units[-1]
        regularizer = keras.regularizers.L2(self.l2) if self.l2 else None
        self.embeddings = [
            keras.layers.Embedding(size, self.embedding_dim, embeddings_regularizer=regularizer, name=f"embedding_{i}")
            for i, size in enumerate(self.category_sizes)
        ]
        self.dense = [
            keras.layers.Dense(u, activation="relu", kernel_regularizer=regularizer, name=f"dense_{i}")
            for i, u in enumerate(self.units)
        ]
        self.drops = [keras.layers.Dropout(self.dropout, name=f"dropout_{i}") for i in range(len(self.units))]

    def build(self, input_shape):
        width = 2 * self.num_numeric + self.embedding_dim * len(self.category_sizes)
        for embedding in self.embeddings:
            embedding.build((None,))
        for layer in self.dense:
            layer.build((None, width))
            width = layer.units

    def call(self, inputs, training=None):
        parts = []
        if self.num_numeric:
            parts += [inputs["numeric"], inputs["missing"]]
        for i, embedding in enumerate(self.embeddings):
            parts.append(embedding(inputs["categorical"][:, i]))
        x = ops.concatenate(parts, axis=-1) if len(parts) > 1 else parts[0]
        for dense, drop in zip(self.dense, self.drops):
            x = drop(dense(x), training=training)
        return {"pooled": x}

    def get_config(self):
        config = super().get_config()
        config.update(
            num_numeric=self.num_numeric,
            category_sizes=list(self.category_sizes),
            embedding_dim=self.embedding_dim,
            units=list(self.units),
            dropout=self.dropout,
            l2=self.l2,
        )
        return config
