"""`training.distribution`, `mixed_precision` and `jit_compile`: where and how a model trains.

`training_scope(training)` is entered around build, compile and fit (see
`fit.fit_model`); the model it produces holds plain variables once saved, so
`model.keras` loads anywhere, outside any strategy. The distributions:

- `none`: the default device.
- `mirrored`: `tf.distribute.MirroredStrategy` over the local GPUs, or over the
  logical CPU devices when there is no GPU (one, unless the process configured
  more with `tf.config.set_logical_device_configuration`). TensorFlow backend.
- `multi_worker`: `tf.distribute.MultiWorkerMirroredStrategy` configured by the
  `TF_CONFIG` environment variable, one `kmm train` process per worker, each
  with its own run folder (the chief's, worker 0, is the result). TensorFlow
  backend. Keras 3 does not officially support it (keras-team/keras#20585);
  `MultiWorkerStrategy` works around the two failures seen with Keras 3.15.
- `data_parallel`: `keras.distribution.DataParallel` over all devices JAX
  sees (`XLA_FLAGS=--xla_force_host_platform_device_count=N` makes N CPU
  devices). JAX backend.
"""

import contextlib
import json
import os
import warnings

import keras

from keras_multimodal.errors import RunError

MULTI_WORKER_ISSUE = "https://github.com/keras-team/keras/issues/20585"
_BACKENDS = {"mirrored": "tensorflow", "multi_worker": "tensorflow", "data_parallel": "jax"}
_ALTERNATIVE = {"tensorflow": "mirrored", "jax": "data_parallel"}


@contextlib.contextmanager
def training_scope(training):
    """Build, compile and fit inside this: the spec's distribution and dtype policy."""
    check_distribution(training.distribution)
    with _dtype_policy(training.mixed_precision), _distribution_scope(training.distribution):
        yield


def compile_options(training):
    """Keyword arguments for `model.compile` from the `training:` section."""
    return {"jit_compile": training.jit_compile}


def check_distribution(name):
    """Refuse a distribution the backend or environment cannot run; call it before any work."""
    backend = keras.backend.backend()
    needed = _BACKENDS.get(name)
    if needed is not None and backend != needed:
        other = _ALTERNATIVE.get(backend)
        hint = f"; on {backend} use `training.distribution: {other}`" if other else ""
        raise RunError(
            f"training.distribution: {name} needs the {needed} backend (KERAS_BACKEND={needed}), "
            f"but Keras runs on {backend}{hint}"
        )
    if name == "multi_worker":
        _check_multi_worker()
        try:
            _strategy(name)  # now: TensorFlow allows it only before the first op runs
        except RuntimeError as error:
            raise RunError(
                f"training.distribution: multi_worker must start before TensorFlow runs anything "
                f"in this process ({error}); run it as a fresh `kmm train` process per worker"
            ) from None


def shardable_batches(dataset, name):
    """`data_parallel` splits every batch evenly over the devices: see `even_batches`."""
    count = replica_count(name) if name == "data_parallel" else 1
    return dataset if count == 1 else even_batches(dataset, count)


def even_batches(dataset, count):
    """Batches whose size is a multiple of `count`; only a last, partial batch changes.

    It loses up to `count - 1` rows in that pass (training rows are reshuffled
    each epoch; the validation loss skips them, the final evaluation does
    not), or, when it has fewer rows than `count`, repeats them up to
    `count`. Cutting instead of filtering keeps the number of batches known.
    """
    import tensorflow as tf

    def cut(*batch):
        size = tf.shape(tf.nest.flatten(batch)[0])[0]
        index = tf.range(tf.maximum(size // count * count, count)) % size
        return tf.nest.map_structure(lambda t: tf.gather(t, index), batch)

    return dataset.map(cut)


def replica_count(name):
    """How many replicas a distribution trains on in this process (1 for `none`)."""
    if name in ("mirrored", "multi_worker"):
        return _strategy(name).num_replicas_in_sync
    if name == "data_parallel":
        return len(keras.distribution.list_devices())
    return 1


def _check_multi_worker():
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        raise RunError("training.distribution: multi_worker needs the TF_CONFIG environment variable (cluster and task)")
    try:
        config = json.loads(raw)
        config["cluster"]["worker"], config["task"]["index"]
    except (ValueError, KeyError, TypeError) as error:
        raise RunError(f"TF_CONFIG: expected JSON with cluster.worker and task.index, found {raw!r} ({error!r})") from None


@contextlib.contextmanager
def _distribution_scope(name):
    if name in ("mirrored", "multi_worker"):
        with _strategy(name).scope():
            yield
    elif name == "data_parallel":
        devices = keras.distribution.list_devices()
        with keras.distribution.DataParallel(devices=devices).scope():
            yield
    else:
        yield


_STRATEGIES = {}


def _strategy(name):
    # One strategy per process: MultiWorkerMirroredStrategy configures the
    # process's collective ops once and cannot be created a second time.
    if name not in _STRATEGIES:
        import tensorflow as tf

        if name == "multi_worker":
            from keras_multimodal.training.multi_worker_strategy import MultiWorkerStrategy

            _STRATEGIES[name] = MultiWorkerStrategy()
        else:
            gpus = tf.config.list_logical_devices("GPU")
            devices = [d.name for d in gpus or tf.config.list_logical_devices("CPU")]
            _STRATEGIES[name] = tf.distribute.MirroredStrategy(devices)
    return _STRATEGIES[name]


@contextlib.contextmanager
def _dtype_policy(mixed):
    """Layers take the global dtype policy when built; restore it afterwards."""
    if not mixed:
        yield
        return
    if not has_gpu():
        warnings.warn(
            "training.mixed_precision: no GPU found; float16 compute on a CPU is slower than "
            "float32 and only useful to check that the model runs",
            stacklevel=3,
        )
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def has_gpu():
    """Whether the Keras backend sees a GPU."""
    if keras.backend.backend() == "jax":
        import jax

        return any(d.platform == "gpu" for d in jax.devices())
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    return False
