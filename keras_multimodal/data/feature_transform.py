"""Applies a fitted `Preprocessor` in TensorFlow: raw columns in, model inputs out."""

import keras
import numpy as np
import tensorflow as tf

from keras_multimodal.data import tf_ops


class FeatureTransform(tf.Module):
    """The TensorFlow half of preprocessing, used by tf.data and by the serving export.

    Raw features per input: image `<name>` (a path in training, encoded bytes
    when serving), text `<name>` (string), tabular `<name>_numeric` (float,
    NaN = missing) and `<name>_categorical` (string, '' = missing).
    """

    def __init__(self, preprocessor, seed=0):
        super().__init__()
        self.entries = {k: v for k, v in preprocessor.state.items() if not k.startswith("__")}
        self.vectorizers = {}
        self.lookups = {}
        self.augmenters = {}
        for name, entry in self.entries.items():
            if entry["type"] == "text":
                self.vectorizers[name] = tf_ops.text_vectorizer(entry)
            elif entry["type"] == "tabular":
                self.lookups[name] = tf_ops.category_lookups(entry)
            elif entry["augment"]:
                self.augmenters[name] = _augmenter(entry["augment"], seed)

    def raw_features(self, frame):
        """NumPy arrays for `tf.data.Dataset.from_tensor_slices` from a `TableData.frame`."""
        out = {}
        for name, entry in self.entries.items():
            if entry["type"] in ("image", "text"):
                out[name] = frame[name].astype(str).to_numpy(dtype=object)
                continue
            if entry["numeric"]:
                columns = [frame[f"{name}/{c}"].to_numpy(dtype="float32") for c in entry["numeric"]]
                out[f"{name}_numeric"] = np.stack(columns, axis=1)
            if entry["categorical"]:
                columns = [frame[f"{name}/{c}"].astype(str).to_numpy(dtype=object) for c in entry["categorical"]]
                out[f"{name}_categorical"] = np.stack(columns, axis=1)
        return out

    def decode_element(self, element, from_bytes=False):
        """Per example: read and decode images (the expensive, cacheable part)."""
        element = dict(element)
        for name, entry in self.entries.items():
            if entry["type"] == "image":
                read = tf_ops.image_or_blank if from_bytes else tf_ops.read_image
                element[name], element[f"{name}_present"] = read(element[name], entry["size"], entry["channels"])
        return element

    def transform_batch(self, batch, training=False):
        """Per batch: tokenise, normalise, look up, augment -> model inputs."""
        out = {}
        for name, entry in self.entries.items():
            if entry["type"] == "image":
                image = batch[name]
                if training and name in self.augmenters:
                    image = self.augmenters[name](image, training=True)
                out[name] = image
                out[f"{name}_present"] = tf.reshape(batch[f"{name}_present"], [-1, 1])
            elif entry["type"] == "text":
                out[name], out[f"{name}_present"] = tf_ops.text_tensors(batch[name], self.vectorizers[name])
            else:
                tensors = tf_ops.tabular_tensors(
                    batch.get(f"{name}_numeric"), batch.get(f"{name}_categorical"), entry, self.lookups[name]
                )
                for key, value in tensors.items():
                    out[f"{name}_{key}"] = value
        return out

    def serve(self, batch):
        """Raw serving batch (images as encoded bytes) -> model inputs."""
        decoded = tf.map_fn(
            lambda element: self.decode_element(element, from_bytes=True),
            batch,
            fn_output_signature=self._decoded_signature(batch),
        )
        return self.transform_batch(decoded, training=False)

    def _decoded_signature(self, batch):
        signature = {key: tf.TensorSpec(value.shape[1:], value.dtype) for key, value in batch.items()}
        for name, entry in self.entries.items():
            if entry["type"] == "image":
                size = entry["size"]
                signature[name] = tf.TensorSpec([size[0], size[1], entry["channels"]], tf.float32)
                signature[f"{name}_present"] = tf.TensorSpec([], tf.float32)
        return signature


def _augmenter(options, seed):
    layers = []
    if "flip" in options:
        layers.append(keras.layers.RandomFlip(options["flip"], seed=seed))
    if options.get("rotation"):
        layers.append(keras.layers.RandomRotation(options["rotation"], seed=seed + 1))
    if options.get("zoom"):
        layers.append(keras.layers.RandomZoom(options["zoom"], seed=seed + 2))
    if options.get("translation"):
        t = options["translation"]
        layers.append(keras.layers.RandomTranslation(t, t, seed=seed + 3))
    if options.get("contrast"):
        layers.append(keras.layers.RandomContrast(options["contrast"], seed=seed + 4, value_range=(0, 1)))
    return keras.Sequential(layers)
