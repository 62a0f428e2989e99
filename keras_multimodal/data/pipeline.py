"""tf.data pipelines: slices -> decode (parallel) -> cache -> shuffle -> batch -> transform -> prefetch."""

import tensorflow as tf

from keras_multimodal.data.feature_transform import FeatureTransform

AUTOTUNE = tf.data.AUTOTUNE


def make_dataset(data, transform, batch_size, training=False, seed=0, with_labels=True, cache=True):
    """A deterministic `tf.data.Dataset` of (inputs, labels) for a `TableData`.

    Images are decoded once and cached in memory; only the training dataset
    is shuffled (with `seed`, reshuffled each epoch) and augmented. A
    `StreamingData` (`data.streaming: true`) is read chunk by chunk instead.
    """
    from keras_multimodal.data.streaming_data import StreamingData

    if isinstance(data, StreamingData):
        from keras_multimodal.data.streaming_pipeline import make_streaming_dataset

        return make_streaming_dataset(data, transform, batch_size, training, seed, with_labels, cache)
    features = transform.raw_features(data.frame)
    if with_labels and data.labels is not None:
        ds = tf.data.Dataset.from_tensor_slices((features, data.labels))
    else:
        ds = tf.data.Dataset.from_tensor_slices((features,))
    ds = ds.map(lambda x, *y: (transform.decode_element(x), *y), num_parallel_calls=AUTOTUNE, deterministic=True)
    if cache:
        ds = ds.cache()
    if training:
        ds = ds.shuffle(max(len(data.frame), 1), seed=seed, reshuffle_each_iteration=True)
    return batch_and_transform(ds, transform, batch_size, training)


def batch_and_transform(ds, transform, batch_size, training):
    """Batch decoded elements, then tokenise/normalise/augment per batch in parallel, in order."""
    ds = ds.batch(batch_size)
    ds = ds.map(
        lambda x, *y: (transform.transform_batch(x, training=training), *y),
        num_parallel_calls=AUTOTUNE,
        deterministic=True,
    )
    return ds.prefetch(AUTOTUNE)


__all__ = ["FeatureTransform", "make_dataset"]
