"""The GPU check on a machine with JAX and a GPU but no TensorFlow.

The lent GPU machines carry JAX (CUDA) but not TensorFlow, and nothing can be
installed there beyond a few carried pure-Python wheels (keras, namex, optree).
The toolkit's input pipeline is tf.data, so the check is split in two:

1. here, under TensorFlow: `dump_batches(DIR)` runs the toolkit's own pipeline
   over the demo's training split and stores the model-ready tensors
   (`batches.npz`, images as float16 to stay small) with `preprocessing.json`;
2. there, with `KERAS_BACKEND=jax`: `measure(DIR)` builds the same demo model
   with `build_model` and times `fit` on those tensors in float32, bfloat16 and
   float16 mixed precision, with XLA (`jit_compile=True`, JAX's normal mode) and
   float32 without it, and reads the GPU's peak memory from JAX.
"""

import json
import statistics
import time
from pathlib import Path

import numpy as np

POLICIES = [("float32", False), ("float32", True), ("mixed_bfloat16", True), ("mixed_float16", True)]


def _spec(data_root, rows, batch_size):
    import keras_multimodal as kmm

    return kmm.load_spec(None, data__root=str(data_root), data__generate__rows=rows, training__batch_size=batch_size, training__baselines=False)


def dump_batches(out_dir, data_root, rows=2000, batch_size=256):
    """TensorFlow side: the demo's training split through the toolkit's pipeline, saved as arrays."""
    from keras_multimodal.data.feature_transform import FeatureTransform
    from keras_multimodal.data.pipeline import make_dataset
    from keras_multimodal.training.data_setup import prepare_data

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = _spec(data_root, rows, batch_size)
    prepared = prepare_data(spec)
    transform = FeatureTransform(prepared.preprocessor, seed=spec.training.seed)
    parts, labels = {}, []
    for features, y in make_dataset(prepared.data.split("train"), transform, batch_size):
        for name, value in features.items():
            parts.setdefault(name, []).append(value.numpy())
        labels.append(np.asarray(y))
    arrays = {name: np.concatenate(values) for name, values in parts.items()}
    arrays = {name: a.astype(np.float16) if a.dtype == np.float32 and a.ndim == 4 else a for name, a in arrays.items()}
    np.savez_compressed(out_dir / "batches.npz", __labels__=np.concatenate(labels), **arrays)
    prepared.preprocessor.save(out_dir / "preprocessing.json")
    (out_dir / "meta.json").write_text(json.dumps({"rows": rows, "batch_size": batch_size}))
    return out_dir


def _gpu_peak_mib():
    import jax

    stats = jax.local_devices()[0].memory_stats() or {}
    peak = stats.get("peak_bytes_in_use")
    return None if peak is None else peak / 2**20


def _one(spec, preprocessor, x, y, policy, xla, epochs, batch_size):
    import keras

    from keras_multimodal.models.builder import build_model

    keras.mixed_precision.set_global_policy(policy)
    try:
        keras.utils.set_random_seed(spec.training.seed)
        model = build_model(spec, preprocessor)
        model.compile(optimizer=keras.optimizers.Adam(spec.training.learning_rate), loss="binary_crossentropy", jit_compile=xla)
        times, losses = [], []
        for _ in range(epochs):
            start = time.perf_counter()
            history = model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=True)
            times.append(time.perf_counter() - start)
            losses.append(float(history.history["loss"][-1]))
        steady = statistics.median(times[1:]) if len(times) > 1 else times[0]
        return {"policy": policy, "jit_compile": xla, "first_epoch_s": times[0], "steady_epoch_s": steady, "epoch_s": times,
                "samples_per_s": len(y) / steady, "peak_gpu_memory_mib": _gpu_peak_mib(), "final_loss": losses[-1],
                "compute_dtypes": sorted({layer.compute_dtype for layer in model.layers})}
    except Exception as error:  # report the configuration as failed, keep the others
        return {"policy": policy, "jit_compile": xla, "error": f"{type(error).__name__}: {error}"[:500]}
    finally:
        keras.mixed_precision.set_global_policy("float32")


def measure(batches_dir, data_root, epochs=5, repeat=8):
    """JAX side: time the demo model on the dumped tensors, tiled `repeat` times per epoch."""
    import jax

    from keras_multimodal.data.preprocessor import Preprocessor

    batches_dir = Path(batches_dir)
    meta = json.loads((batches_dir / "meta.json").read_text())
    spec = _spec(data_root, meta["rows"], meta["batch_size"])
    preprocessor = Preprocessor.load(batches_dir / "preprocessing.json")
    loaded = dict(np.load(batches_dir / "batches.npz"))
    y = np.concatenate([loaded.pop("__labels__")] * repeat)
    x = {name: np.concatenate([a.astype(np.float32) if a.dtype == np.float16 else a] * repeat) for name, a in loaded.items()}
    configs = []
    for policy, xla in POLICIES:
        # Without XLA, JAX runs op by op: two epochs say enough and keep the check short.
        configs.append(_one(spec, preprocessor, x, y, policy, xla, epochs if xla else 2, meta["batch_size"]))
        print("  " + json.dumps(configs[-1]), flush=True)
    return {"smoke": False, "backend": "jax", "gpus": [str(d) for d in jax.devices()], "rows": meta["rows"],
            "train_samples": int(len(y)), "epochs": epochs, "batch_size": meta["batch_size"], "configs": configs}
