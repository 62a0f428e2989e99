"""TensorFlow preprocessing functions shared by the training pipeline and the serving export."""

import keras
import tensorflow as tf


def standardize_option(name):
    return None if name == "none" else name


def adapt_vocabulary(texts, max_tokens, standardize):
    """Learn a vocabulary with the same `TextVectorization` the pipeline applies."""
    layer = keras.layers.TextVectorization(max_tokens=max_tokens, standardize=standardize_option(standardize))
    layer.adapt(tf.data.Dataset.from_tensor_slices(tf.constant(list(texts) or [""], tf.string)).batch(512))
    return [str(token) for token in layer.get_vocabulary()]


def text_vectorizer(entry):
    if entry.get("tokenizer") == "wordpiece":
        return _WordPieceIds(entry)
    return keras.layers.TextVectorization(
        vocabulary=entry["vocabulary"],
        standardize=standardize_option(entry["standardize"]),
        output_sequence_length=entry["sequence_length"],
    )


def preset_wordpiece(preset):
    """(vocabulary, lowercase) of the WordPiece tokenizer of a local BERT preset directory."""
    import keras_hub

    tokenizer = keras_hub.models.BertTokenizer.from_preset(preset)
    if tokenizer.pad_token_id != 0:
        # The model inputs use id 0 for padding, as every BERT vocabulary does.
        raise ValueError(f"BERT preset {preset}: [PAD] has id {tokenizer.pad_token_id}, expected 0")
    return [str(token) for token in tokenizer.get_vocabulary()], bool(tokenizer.lowercase)


class _WordPieceIds(tf.Module):
    """Strings -> `[CLS]` word pieces `[SEP]`, truncated and padded with id 0 to the sequence length.

    An empty text gives all padding, as `TextVectorization` does, so an
    absent text reaches every text encoder in the same form.
    """

    def __init__(self, entry):
        super().__init__()
        import keras_hub

        self.tokenizer = keras_hub.tokenizers.BertTokenizer(vocabulary=entry["vocabulary"], lowercase=entry["lowercase"])
        self.packer = keras_hub.layers.StartEndPacker(
            entry["sequence_length"],
            start_value=self.tokenizer.cls_token_id,
            end_value=self.tokenizer.sep_token_id,
            pad_value=0,
        )

    def __call__(self, texts):
        ids = tf.cast(self.packer(self.tokenizer(texts)), tf.int32)
        present = tf.strings.length(tf.strings.strip(texts)) > 0
        return tf.where(present[:, None], ids, tf.zeros_like(ids))


def category_lookups(entry):
    # Index 0 = missing (the empty string), 1 = unseen category, 2.. = known categories.
    return [
        keras.layers.StringLookup(vocabulary=categories or ["[none]"], mask_token="", num_oov_indices=1)
        for categories in entry["categories"]
    ]


def decode_image(data, size, channels):
    """Encoded JPEG/PNG/BMP/GIF bytes -> float32 (height, width, channels) in [0, 1].

    Decoded at the file's own channel count, then converted: TensorFlow
    refuses `channels=1` for GIF, BMP and CMYK JPEG files, which the image
    check (`keras_multimodal.data.images`) accepts.
    """
    image = tf.io.decode_image(data, channels=0, expand_animations=False, dtype=tf.uint8)
    image = tf.cast(image, tf.float32)
    image = _to_channels(image, channels)
    image = tf.image.resize(image, size, antialias=True) / 255.0
    image = tf.clip_by_value(image, 0.0, 1.0)
    return tf.ensure_shape(image, [size[0], size[1], channels])


def _to_channels(image, channels):
    """(h, w, 1..4) -> (h, w, channels): alpha dropped, grey <-> RGB converted."""
    native = tf.shape(image)[-1]
    has_alpha = tf.equal(native % 2, 0)  # 2 = grey + alpha, 4 = RGBA
    image = tf.cond(has_alpha, lambda: image[..., : native - 1], lambda: image)
    colour = tf.equal(tf.shape(image)[-1], 3)
    if channels == 1:
        image = tf.cond(colour, lambda: tf.image.rgb_to_grayscale(image), lambda: image)
    else:
        image = tf.cond(colour, lambda: image, lambda: tf.tile(image, [1, 1, 3]))
    return tf.ensure_shape(image, [None, None, channels])


def image_or_blank(data, size, channels):
    """Decode when bytes are present; an absent image is zeros plus presence 0."""
    present = tf.strings.length(data) > 0
    image = tf.cond(
        present,
        lambda: decode_image(data, size, channels),
        lambda: tf.zeros([size[0], size[1], channels], tf.float32),
    )
    return image, tf.cast(present, tf.float32)


def read_image(path, size, channels):
    data = tf.cond(tf.strings.length(path) > 0, lambda: tf.io.read_file(path), lambda: tf.constant(b""))
    return image_or_blank(data, size, channels)


def text_tensors(texts, vectorizer):
    tokens = tf.cast(vectorizer(texts), tf.int32)
    present = tf.cast(tf.strings.length(tf.strings.strip(texts)) > 0, tf.float32)
    return tokens, present[:, None]


def tabular_tensors(numeric, categorical, entry, lookups):
    """Normalise numerics (NaN -> 0 with a missing flag) and index categories."""
    out, present = {}, []
    if entry["numeric"]:
        numeric = tf.cast(numeric, tf.float32)
        missing = tf.math.is_nan(numeric)
        mean = tf.constant(entry["mean"], tf.float32)
        std = tf.constant(entry["std"], tf.float32)
        out["numeric"] = tf.where(missing, 0.0, (numeric - mean) / std)
        out["missing"] = tf.cast(missing, tf.float32)
        present.append(tf.reduce_any(~missing, axis=1))
    if entry["categorical"]:
        columns = [tf.cast(lookup(categorical[:, j]), tf.int32) for j, lookup in enumerate(lookups)]
        out["categorical"] = tf.stack(columns, axis=1)
        present.append(tf.reduce_any(tf.strings.length(categorical) > 0, axis=1))
    out["present"] = tf.cast(tf.reduce_any(tf.stack(present, axis=1), axis=1), tf.float32)[:, None]
    return out
