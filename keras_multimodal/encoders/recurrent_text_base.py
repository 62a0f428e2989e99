"""Shared body of the recurrent text encoders (`lstm`, `gru`, `bilstm`)."""

import keras
from keras import ops


class RecurrentTextEncoder(keras.layers.Layer):
    """Embedding (padding id 0 masked) then a recurrent layer; subclasses choose the layer.

    A subclass sets `rnn_class` (e.g. `keras.layers.LSTM`); the pooled vector is
    then the state after the last real token. A subclass that wraps or combines
    states (`bilstm`) also overrides `make_rnn(regularizer)` (a layer called with
    `return_sequences=True, return_state=True`), `final_state(states)` and
    `directions`.

    Args:
        vocabulary_size: int. Number of token ids (from the fitted vocabulary).
        embedding_dim: int. Token embedding size. Defaults to 64.
        units: int. Recurrent units (per direction), the output size. Defaults to 64.
        dropout: float. Dropout on the recurrent layer's inputs. Defaults to 0.2.
        l2: float. L2 weight penalty on the embedding and recurrent kernels. Defaults to 0.

    Call arguments:
        inputs: int tensor `(batch, sequence_length)`, 0 = padding.

    Returns:
        dict: `pooled` `(batch, directions * units)`, the state after the last
        real token; `tokens` `(batch, sequence_length, directions * units)`,
        zero at padding; `token_mask` `(batch, sequence_length)`, 1 at real tokens.
    """

    rnn_class = None
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
        # Named after the class ("lstm", "gru"): saved weight paths depend on it.
        return self.rnn_class(
            self.units,
            dropout=self.dropout,
            kernel_regularizer=regularizer,
            return_sequences=True,
            return_state=True,
            name=self.rnn_class.__name__.lower(),
        )

    def final_state(self, states):
        # The first returned state is the output after the last real token.
        return states[0]

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
