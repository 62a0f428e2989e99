"""Run in a fresh process by test_distribution.py: device setup is process-global.

    python distributed_fit.py fit CONFIG_JSON      # 2 devices, fit with training.distribution
    python distributed_fit.py reload CONFIG_JSON   # one default device, plain load_model

CONFIG: {"root": demo data folder, "out": run folder, "overrides": {dotted__key: value}}.
`fit` trains the tiny demo with `fit_model`, loads `model.keras` back inside the
distribution and writes its test predictions to `out/distributed.json`;
`reload` loads the same file outside any distribution and writes `out/reload.json`.
TensorFlow gets two logical CPU devices here; JAX gets them from
XLA_FLAGS=--xla_force_host_platform_device_count=2, set by the caller.
"""

import json
import os
import sys
import time


def _two_tensorflow_cpus():
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)


def _spec(config):
    import keras_multimodal as kmm

    settings = {
        "data__root": config["root"],
        "data__generate__rows": 240,
        "training__epochs": 2,
        "training__batch_size": 32,
        "training__patience": 0,
        "training__baselines": False,
    }
    settings.update(config.get("overrides", {}))
    return kmm.load_spec(None, **settings)


def _test_scores(model, prepared, training):
    from keras_multimodal.data.feature_transform import FeatureTransform
    from keras_multimodal.data.pipeline import make_dataset
    from keras_multimodal.training.distribution import shardable_batches

    test = make_dataset(prepared.data.split("test"), FeatureTransform(prepared.preprocessor), training.batch_size)
    test = shardable_batches(test, training.distribution)
    return model.predict(test, verbose=0).ravel().tolist()


def _variable_placement(model):
    import keras

    value = model.weights[0].value
    if keras.backend.backend() == "jax":
        return f"{type(value.sharding).__name__} on {len(value.sharding.device_set)} devices"
    return type(value).__name__


def fit(config):
    import keras

    from keras_multimodal.training.data_setup import prepare_data
    from keras_multimodal.training.distribution import check_distribution
    from keras_multimodal.training.distribution import replica_count
    from keras_multimodal.training.distribution import training_scope
    from keras_multimodal.training.fit import fit_model

    spec = _spec(config)
    check_distribution(spec.training.distribution)  # as `train` does: multi_worker starts first
    prepared = prepare_data(spec)
    started = time.perf_counter()
    fit_model(spec, prepared, config["out"], verbose=0)
    seconds = time.perf_counter() - started
    path = os.path.join(config["out"], "model.keras")
    if spec.training.distribution == "multi_worker":  # predict would shard the rows over workers
        model = keras.saving.load_model(path)
        scores = _test_scores(model, prepared, spec.training)
    else:
        with training_scope(spec.training):
            model = keras.saving.load_model(path)
            scores = _test_scores(model, prepared, spec.training)
    return {
        "backend": keras.backend.backend(),
        "replicas": replica_count(spec.training.distribution),
        "placement": _variable_placement(model),
        "fit_seconds": seconds,
        "scores": scores,
    }


def reload(config):
    import keras

    from keras_multimodal.training.data_setup import prepare_data

    spec = _spec(config)
    prepared = prepare_data(spec)
    model = keras.saving.load_model(os.path.join(config["out"], "model.keras"))
    return {"backend": keras.backend.backend(), "scores": _test_scores(model, prepared, spec.training)}


if __name__ == "__main__":
    mode, config = sys.argv[1], json.loads(sys.argv[2])
    if mode == "fit" and os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow" and "TF_CONFIG" not in os.environ:
        _two_tensorflow_cpus()  # before any TensorFlow op; a multi_worker worker keeps one device
    result = {"fit": fit, "reload": reload}[mode](config)
    with open(os.path.join(config["out"], f"{'distributed' if mode == 'fit' else 'reload'}.json"), "w") as f:
        json.dump(result, f)
