"""Shared body of the recurrent text encoders (`lstm`, `gru`, `bilstm`)."""

import keras
from keras import ops


class RecurrentTextEncoder(keras.layers.Layer):
    """Embedding (padding id 0 masked) then a recurrent layer; subclasses choose the layer.

    Subclasses implement `make_rnn(regularizer)` (returning a layer called with
    `return_sequences=True, return_state=True`) and `final_state(states)`
    (the pooled vector from the returned states), and set `directions`.
    """

    directions = 1

    def __init__(self, vocabulary_size, embedding_dim=64, units=64, dropout=0.2, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = int(vocabulary_size)
        self.embedding_dim = int(embedding_dim)
        self.units = int(units)
        self.dropout = float(dropout)
        self.l2 = float(l2)
        self.output_dim = self.directions * self.units
        regularizer = keras.regularizers.L2(self.l2) if self.l2 else None
        self.embedding = keras.layers.Embedding(
            self.vocabulary_size, self.embedding_dim, mask_zero=True, embeddings_regularizer=regularizer, name="embedding"
        )
        self.rnn = self.make_rnn(regularizer)

    def make_rnn(self, regularizer):
        raise NotImplementedError

    def final_state(self, states):
        raise NotImplementedError

    def build(self, input_shape):
        self.embedding.build(input_shape)
        self.rnn.build((input_shape[0], input_shape[1], self.embedding_dim))

    def call(self, inputs, training=None):
        x = self.embedding(inputs)
        mask = self.embedding.compute_mask(inputs)
        sequence, *states = self.rnn(x, mask=mask, training=training)
        token_mask = ops.cast(mask, sequence.dtype)
        pooled = self.final_state(states)
        return {"pooled": pooled, "tokens": sequence * token_mask[..., None], "token_mask": token_mask}

    def get_config(self):
        config = super().get_config()
        config.update(
            vocabulary_size=self.vocabulary_size,
            embedding_dim=self.embedding_dim,
            units=self.units,
            dropout=self.dropout,
            l2=self.l2,
        )
        return config
