"""A bidirectional LSTM text encoder over token ids."""

import keras
from keras import ops

from keras_multimodal.encoders.recurrent_text_base import RecurrentTextEncoder
from keras_multimodal.encoders.registry import register_encoder


@register_encoder("bilstm", modality="text")
class TextBiLSTMEncoder(RecurrentTextEncoder):
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

    rnn_class = keras.layers.LSTM
    directions = 2

    def make_rnn(self, regularizer):
        return keras.layers.Bidirectional(super().make_rnn(regularizer), merge_mode="concat", name="bidirectional")

    def final_state(self, states):
        # Keras returns [forward h, forward c, backward h, backward c].
        return ops.concatenate([states[0], states[2]], axis=-1)
