"""An LSTM text encoder over token ids."""

import keras

from keras_multimodal.encoders.recurrent_text_base import RecurrentTextEncoder
from keras_multimodal.encoders.registry import register_encoder


@register_encoder("lstm", modality="text")
class TextLSTMEncoder(RecurrentTextEncoder):
    """Embedding (padding id 0 masked) followed by an LSTM; the last state is the output.

    Arguments, call arguments and outputs are those of `RecurrentTextEncoder`
    with one direction: `units` is the LSTM size and the output size.
    """

    rnn_class = keras.layers.LSTM
