"""A GRU text encoder over token ids."""

import keras

from keras_multimodal.encoders.recurrent_text_base import RecurrentTextEncoder
from keras_multimodal.encoders.registry import register_encoder


@register_encoder("gru", modality="text")
class TextGRUEncoder(RecurrentTextEncoder):
    """Embedding (padding id 0 masked) followed by a GRU; the last state is the output.

    Arguments, call arguments and outputs are those of `RecurrentTextEncoder`
    with one direction: `units` is the GRU size and the output size.
    """

    rnn_class = keras.layers.GRU
