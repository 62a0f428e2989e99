"""A GRU text encoder over token ids."""

import keras

from keras_multimodal.encoders.recurrent_text_base import RecurrentTextEncoder
from keras_multimodal.encoders.registry import register_encoder


@register_encoder("gru", modality="text")
class TextGRUEncoder(RecurrentTextEncoder):
    """Embedding (padding id 0 masked) followed by a GRU; the last state is the output.

    Args:
        vocabulary_size: int. Number of token ids (from the fitted vocabulary).
        embedding_dim: int. Token embedding size. Defaults to 64.
        units: int. GRU units, the output size. Defaults to 64.
        dropout: float. Dropout on the GRU inputs. Defaults to 0.2.
        l2: float. L2 weight penalty on the embedding and GRU kernels. Defaults to 0.

    Call arguments:
        inputs: int tensor `(batch, sequence_length)`, 0 = padding.

    Returns:
        dict: `pooled` `(batch, units)`, the state after the last real token;
        `tokens` `(batch, sequence_length, units)`, zero at padding; `token_mask`
        `(batch, sequence_length)`, 1 at real tokens.
    """

    def make_rnn(self, regularizer):
        return keras.layers.GRU(
            self.units,
            dropout=self.dropout,
            kernel_regularizer=regularizer,
            return_sequences=True,
            return_state=True,
            name="gru",
        )

    def final_state(self, states):
        # The first returned state is the output after the last real token.
        return states[0]
