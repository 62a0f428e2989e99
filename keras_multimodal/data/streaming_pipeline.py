"""tf.data pipelines over a streamed table: chunks -> rows -> decode -> disk snapshot -> windowed shuffle -> batch.

Only one chunk of raw rows and a bounded shuffle window are in memory; the
decoded images of a split go to a snapshot on disk (written during the first
epoch, read back in later ones), never to memory.
"""

import numpy as np
import pandas as pd
import tensorflow as tf

from keras_multimodal.data.pipeline import batch_and_transform
from keras_multimodal.data.table_data import TableData

AUTOTUNE = tf.data.AUTOTUNE
# Rows held by the training shuffle: a window, not the whole split, so memory
# does not grow with the table. Shuffle the shards beforehand if rows are sorted.
SHUFFLE_BUFFER = 4096
_LABEL_DTYPES = {"binary": tf.float32, "multiclass": tf.int32, "multilabel": tf.float32, "regression": tf.float32}


def make_streaming_dataset(data, transform, batch_size, training=False, seed=0, with_labels=True, cache=True, with_ids=False, splits=None):
    """The streamed counterpart of `pipeline.make_dataset` for a `StreamingData` (or one split view of it).

    `with_ids` adds a third element {"row_id", "split"} per example (for
    predictions); `splits` reads these splits instead of the view's own.
    """
    signature = _signature(data, transform, with_labels, with_ids)
    ds = tf.data.Dataset.from_generator(
        lambda: _chunks(data, transform, with_labels, with_ids, splits), output_signature=signature
    ).unbatch()
    # Rows per split are known from the statistics pass: Keras then knows the
    # steps per epoch, and a table that changed since that pass fails loudly.
    rows = sum(data.rows[s] for s in splits) if splits else len(data)
    ds = ds.apply(tf.data.experimental.assert_cardinality(rows))
    ds = ds.map(lambda x, *y: (transform.decode_element(x), *y), num_parallel_calls=AUTOTUNE, deterministic=True)
    path = data.cache_path() if cache and splits is None else None
    if path and any(e["type"] == "image" for e in transform.entries.values()):
        # A snapshot, not `.cache(filename)`: the file cache keeps an in-memory
        # index entry per element until the pass ends (measured: ~3.6 KB per row),
        # which grows with the table. One shard, read back in order, keeps the
        # rows in the same order as the first pass.
        ds = ds.snapshot(path, shard_func=_one_shard, reader_func=_in_order)
    if training:
        ds = ds.shuffle(SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True)
    return batch_and_transform(ds, transform, batch_size, training)


def _one_shard(*element):
    return tf.constant(0, tf.int64)


def _in_order(shards):
    return shards.flat_map(_identity)


def _identity(dataset):
    return dataset


def _chunks(data, transform, with_labels, with_ids, splits):
    for chunk in data.chunks(splits):
        element = (transform.raw_features(chunk.frame),)
        if with_labels:
            element += (np.asarray(chunk.labels),)
        if with_ids:
            frame = chunk.frame
            element += ({"row_id": frame["row_id"].astype(str).to_numpy(dtype=object), "split": frame["split"].to_numpy(dtype=object)},)
        yield element


def _signature(data, transform, with_labels, with_ids):
    features = {}
    for name, entry in transform.entries.items():
        if entry["type"] in ("image", "text"):
            features[name] = tf.TensorSpec([None], tf.string)
            continue
        if entry["numeric"]:
            features[f"{name}_numeric"] = tf.TensorSpec([None, len(entry["numeric"])], tf.float32)
        if entry["categorical"]:
            features[f"{name}_categorical"] = tf.TensorSpec([None, len(entry["categorical"])], tf.string)
    signature = (features,)
    if with_labels:
        shape = [None, len(data.classes)] if data.task == "multilabel" else [None]
        signature += (tf.TensorSpec(shape, _LABEL_DTYPES[data.task]),)
    if with_ids:
        signature += ({"row_id": tf.TensorSpec([None], tf.string), "split": tf.TensorSpec([None], tf.string)},)
    return signature


def predict_streaming(model, data, preprocessor, splits=("val", "test"), batch_size=64):
    """(TableData of row_id/split/labels, model outputs) for the rows of `splits`, read chunk by chunk."""
    from keras_multimodal.data.feature_transform import FeatureTransform

    transform = FeatureTransform(preprocessor)
    ds = make_streaming_dataset(data, transform, batch_size, with_ids=True, cache=False, splits=splits)
    scores, labels, row_ids, split_names = [], [], [], []
    for inputs, y, ids in ds:
        # NumPy inputs, so that the JAX backend takes them as well.
        scores.append(np.asarray(model.predict_on_batch({k: v.numpy() for k, v in inputs.items()})))
        labels.append(y.numpy())
        row_ids += [v.decode() for v in ids["row_id"].numpy()]
        split_names += [v.decode() for v in ids["split"].numpy()]
    frame = pd.DataFrame({"row_id": np.asarray(row_ids, dtype=object), "split": np.asarray(split_names, dtype=object)})
    rows = TableData(frame=frame, labels=np.concatenate(labels), classes=list(data.classes), task=data.task)
    return rows, np.concatenate(scores)
