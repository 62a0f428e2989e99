"""`WordPiecePooling`: WordPiece token features summed into word features."""

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="keras_multimodal")
class WordPiecePooling(keras.layers.Layer):
    """Sums each word's pieces (`play`, `##ing`) into one word vector, as GLoRIA does.

    A token starts a new word unless its id is a continuation piece (`##...`);
    words are packed to the front, so output position k is the k-th word and
    `word_mask` marks the real ones. Ids in `excluded_ids` (GLoRIA drops
    `[SEP]`) are not words; `[CLS]` stays a word, as in GLoRIA's training
    loss. The grouping is a one-hot matrix product, so it runs on every backend.

    Args:
        continuation_ids: list of int. Vocabulary ids of continuation pieces.
        excluded_ids: list of int. Ids that belong to no word. Defaults to `()`.
        vocabulary_size: int. Size of the id space. Defaults to the largest id + 1.

    Call arguments:
        token_ids: int tensor (batch, T), 0 = padding.
        tokens: float tensor (batch, T, D), the text encoder's token outputs.
        token_mask: float tensor (batch, T), 1 at real tokens.

    Returns:
        (words (batch, T, D), word_mask (batch, T)).
    """

    def __init__(self, continuation_ids, excluded_ids=(), vocabulary_size=None, **kwargs):
        super().__init__(**kwargs)
        self.continuation_ids = sorted(int(i) for i in continuation_ids)
        self.excluded_ids = sorted(int(i) for i in excluded_ids)
        largest = max(self.continuation_ids + self.excluded_ids + [0])
        self.vocabulary_size = int(vocabulary_size or largest + 1)
        self._continuation = np.zeros(self.vocabulary_size, "float32")
        self._continuation[self.continuation_ids] = 1.0
        self._excluded = np.zeros(self.vocabulary_size, "float32")
        self._excluded[self.excluded_ids] = 1.0

    def call(self, token_ids, tokens, token_mask):
        ids = ops.clip(ops.cast(token_ids, "int32"), 0, self.vocabulary_size - 1)
        length = tokens.shape[1]
        continuation = ops.take(ops.convert_to_tensor(self._continuation), ids, axis=0)
        excluded = ops.take(ops.convert_to_tensor(self._excluded), ids, axis=0)
        real = ops.cast(token_mask, "float32") * (1.0 - excluded)
        starts = real * (1.0 - continuation)
        index = ops.maximum(ops.cumsum(starts, axis=1) - 1.0, 0.0)
        assign = ops.one_hot(ops.cast(index, "int32"), length) * real[..., None]  # (batch, token, word)
        words = ops.einsum("btw,btd->bwd", ops.cast(assign, tokens.dtype), tokens)
        count = ops.sum(starts, axis=1, keepdims=True)
        word_mask = ops.cast(ops.arange(length)[None, :] < ops.cast(count, "int32"), tokens.dtype)
        return words, word_mask

    def get_config(self):
        config = super().get_config()
        config.update(
            continuation_ids=self.continuation_ids,
            excluded_ids=self.excluded_ids,
            vocabulary_size=self.vocabulary_size,
        )
        return config

    @classmethod
    def from_vocabulary(cls, vocabulary, **kwargs):
        """From a WordPiece vocabulary list: `##` pieces continue, `[SEP]` is excluded."""
        continuation = [i for i, token in enumerate(vocabulary) if token.startswith("##")]
        excluded = [i for i, token in enumerate(vocabulary) if token == "[SEP]"]
        return cls(continuation, excluded, len(vocabulary), **kwargs)
