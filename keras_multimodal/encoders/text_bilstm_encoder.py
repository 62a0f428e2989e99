"""A bidirectional LSTM text encoder over token ids."""

import keras
from keras import ops

from keras_multimodal.encoders.registry import register_encoder


@register_encoder("bilstm", modality="text")
class TextBiLSTMEncoder(keras.layers.Layer):
    """Embedding (padding id 0 masked) followed by a bidirectional LSTM.

    The forward and backward LSTMs each read the real tokens only (the mask
    skips padding), so the pooled vector is the forward state after the last
    real token joined with the backward state after the first one.

    Args:
        vocabulary_size: int. Number of token ids (from the fitted vocabulary).
        embedding_dim: int. Token embedding size. Defaults to 64.
        units: int. LSTM units per direction; the output size is `2 * units`.
            Defaults to 64.
        dropout: float. Dropout on the LSTM inputs. Defaults to 0.2.
        l2: float. L2 weight penalty on the embedding and LSTM kernels. Defaults to 0.

    Call arguments:
        inputs: int tensor `(batch, sequence_length)`, 0 = padding.

    Returns:
        dict: `pooled` `(batch, 2 * units)`, the final forward and backward
        states; `tokens` `(batch, sequence_length, 2 * units)`, both directions'
        outputs per token, zero at padding; `token_mask` `(batch, sequence_length)`,
        1 at real tokens.
    """

    def __init__(self, vocabulary_size, embedding_dim=64, units=64, dropout=0.2, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size = int(vocabulary_size)
        self.embedding_dim = int(embedding_dim)
        self.units = int(units)
        self.dropout = float(dropout)
        self.l2 = float(l2)
        self.output_dim = 2 * self.units
        regularizer = keras.regularizers.L2(self.l2) if self.l2 else None
        self.embedding = keras.layers.Embedding(
            self.vocabulary_size, self.embedding_dim, mask_zero=True, embeddings_regularizer=regularizer, name="embedding"
        )
        lstm = keras.layers.LSTM(
            self.units,
            dropout=self.dropout,
            kernel_regularizer=regularizer,
            return_sequences=True,
            return_state=True,
            name="lstm",
        )
        self.bilstm = keras.layers.Bidirectional(lstm, merge_mode="concat", name="bidirectional")

    def build(self, input_shape):
        self.embedding.build(input_shape)
        self.bilstm.build((input_shape[0], input_shape[1], self.embedding_dim))

    def call(self, inputs, training=None):
        x = self.embedding(inputs)
        mask = self.embedding.compute_mask(inputs)
        sequence, forward_h, _, backward_h, _ = self.bilstm(x, mask=mask, training=training)
        token_mask = ops.cast(mask, sequence.dtype)
        pooled = ops.concatenate([forward_h, backward_h], axis=-1)
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
