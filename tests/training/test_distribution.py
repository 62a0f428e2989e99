"""`training.distribution`, `mixed_precision` and `jit_compile` (keras_multimodal/training/distribution.py).

Device setup is process-global, so training on two devices runs in fresh
processes (`distributed_fit.py`): two logical CPU devices on TensorFlow, two
XLA host devices on JAX.
"""

import json
import os
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from keras_multimodal.errors import RunError
from keras_multimodal.errors import SpecError
from keras_multimodal.specs.training_config import TrainingConfig

SCRIPT = Path(__file__).with_name("distributed_fit.py")


# -- spec ---------------------------------------------------------------------
def test_spec_defaults_keep_single_device_float32_and_keras_jit_choice():
    training = TrainingConfig.from_dict({})
    assert (training.distribution, training.mixed_precision, training.jit_compile) == ("none", False, "auto")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({"distribution": "mirrored"}, ("mirrored", False, "auto")),
        ({"distribution": "data_parallel", "jit_compile": False}, ("data_parallel", False, False)),
        ({"distribution": "multi_worker", "mixed_precision": True, "jit_compile": True}, ("multi_worker", True, True)),
        ({"jit_compile": "auto", "mixed_precision": "yes"}, ("none", True, "auto")),
    ],
)
def test_spec_reads_distribution_switches(raw, expected):
    training = TrainingConfig.from_dict(raw)
    assert (training.distribution, training.mixed_precision, training.jit_compile) == expected


@pytest.mark.parametrize(
    "raw, field, message",
    [
        ({"distribution": "mirored"}, "training.distribution", "expected one of none, mirrored, multi_worker, data_parallel, found 'mirored' (did you mean 'mirrored'?)"),
        ({"jit_compile": "xla"}, "training.jit_compile", "expected auto, true or false, found 'xla' (str)"),
        ({"mixed_precision": 16}, "training.mixed_precision", "expected true or false, found 16 (int)"),
    ],
)
def test_spec_rejects_bad_switches(raw, field, message):
    with pytest.raises(SpecError) as caught:
        TrainingConfig.from_dict(raw)
    assert (caught.value.field, caught.value.message) == (field, message)


def test_spec_override_from_the_command_line(tri_modal_spec):
    from keras_multimodal.specs import load_spec

    path = tri_modal_spec.write_spec()
    spec = load_spec(path, overrides=["training.distribution=mirrored", "training.jit_compile=false"])
    assert (spec.training.distribution, spec.training.jit_compile) == ("mirrored", False)


# -- backend and environment checks ---------------------------------------------
def _other_backend_distribution():
    import keras

    return {"tensorflow": ("data_parallel", "jax"), "jax": ("mirrored", "tensorflow")}[keras.backend.backend()]


def test_distribution_for_the_other_backend_names_the_backend_it_needs():
    from keras_multimodal.training.distribution import check_distribution

    name, needed = _other_backend_distribution()
    with pytest.raises(RunError, match=f"training.distribution: {name} needs the {needed} backend \\(KERAS_BACKEND={needed}\\)"):
        check_distribution(name)


@pytest.mark.parametrize("tf_config, message", [(None, "needs the TF_CONFIG environment variable"), ("{not json", "TF_CONFIG: expected JSON with cluster.worker and task.index")])
def test_multi_worker_needs_a_valid_tf_config(monkeypatch, tf_config, message):
    import keras

    from keras_multimodal.training.distribution import check_distribution

    if keras.backend.backend() != "tensorflow":
        pytest.skip("multi_worker is a TensorFlow-backend distribution")
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(RunError, match=message):
        check_distribution("multi_worker")


def test_train_refuses_the_wrong_backend_before_making_a_run_folder(tmp_path, make_demo_spec):
    import keras_multimodal as kmm

    name, _ = _other_backend_distribution()
    with pytest.raises(RunError, match=name):
        kmm.train(make_demo_spec(training__distribution=name), out=tmp_path / "run", verbose=0)
    assert not (tmp_path / "run").exists()


# -- data_parallel batches --------------------------------------------------------
@pytest.mark.parametrize("rows, batch, expected", [(7, 4, [4, 2]), (5, 2, [2, 2, 2]), (8, 4, [4, 4])])
def test_even_batches_cut_or_repeat_only_the_last_batch(rows, batch, expected):
    import tensorflow as tf

    from keras_multimodal.training.distribution import even_batches

    dataset = tf.data.Dataset.from_tensor_slices(({"x": np.arange(rows)}, np.arange(rows) * 10)).batch(batch)
    batches = list(even_batches(dataset, 2).as_numpy_iterator())
    assert [len(y) for _, y in batches] == expected
    assert all((x["x"] * 10 == y).all() for x, y in batches)  # inputs and labels stay aligned
    assert np.concatenate([x["x"] for x, _ in batches])[: rows - rows % 2].tolist() == list(range(rows - rows % 2))
    assert even_batches(dataset, 2).cardinality() == dataset.cardinality()


# -- mixed precision and jit_compile reach the compiled model -----------------------
@pytest.fixture(scope="module")
def tiny_prepared(tmp_path_factory, tri_modal_class):
    from keras_multimodal.training.data_setup import prepare_data

    data = tri_modal_class(tmp_path_factory.mktemp("tri_modal_distribution"))
    spec = data.spec()
    return data, prepare_data(spec).preprocessor


def _compiled(data, preprocessor, **training):
    import keras

    from keras_multimodal.models.builder import build_model
    from keras_multimodal.training.distribution import training_scope
    from keras_multimodal.training.fit import compile_model

    spec = data.spec({f"training.{k}": v for k, v in training.items()})
    with training_scope(spec.training):
        model = compile_model(build_model(spec, preprocessor), spec)
    return model, keras.config.dtype_policy().name


@pytest.mark.parametrize("jit_compile", [True, False])
def test_jit_compile_reaches_the_compiled_model(tiny_prepared, jit_compile):
    model, _ = _compiled(*tiny_prepared, jit_compile=jit_compile)
    assert model.jit_compile is jit_compile


def test_mixed_precision_reaches_layers_and_optimizer_and_warns_on_cpu(tiny_prepared):
    import keras

    from keras_multimodal.training.distribution import has_gpu

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model, policy_after = _compiled(*tiny_prepared, mixed_precision=True)
    assert model.dtype_policy.name == "mixed_float16"
    assert model.get_layer("xray_encoder").compute_dtype == "float16"
    assert model.get_layer("output").dtype_policy.name == "float32"  # the head stays float32
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert policy_after == "float32"  # the global policy is restored after the build
    warned = [str(w.message) for w in caught if "training.mixed_precision" in str(w.message)]
    assert bool(warned) is (not has_gpu())
    plain, _ = _compiled(*tiny_prepared)
    assert plain.dtype_policy.name == "float32" and not isinstance(plain.optimizer, keras.optimizers.LossScaleOptimizer)


def test_mixed_precision_trains_and_reloads(tiny_prepared, tmp_path):
    import keras

    from keras_multimodal.training.data_setup import prepare_data
    from keras_multimodal.training.fit import fit_model

    data, _ = tiny_prepared
    spec = data.spec({"training.mixed_precision": True})
    prepared = prepare_data(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_model(spec, prepared, tmp_path, verbose=0)
    model = keras.saving.load_model(tmp_path / "model.keras")
    assert model.get_layer("xray_encoder").compute_dtype == "float16"
    assert np.isfinite(pd.read_csv(tmp_path / "history.csv")["loss"]).all()


# -- two devices, in fresh processes ----------------------------------------------
def _run_script(mode, config, backend, devices=1, env=None):
    env = dict(os.environ, KERAS_BACKEND=backend, **(env or {}))
    env.pop("XLA_FLAGS", None)
    if backend == "jax" and devices > 1:
        env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    done = subprocess.run([sys.executable, str(SCRIPT), mode, json.dumps(config)], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    name = "distributed.json" if mode == "fit" else "reload.json"
    return json.loads((Path(config["out"]) / name).read_text())


@pytest.mark.slow
@pytest.mark.parametrize(
    "distribution, backend, placement",
    [("mirrored", "tensorflow", "MirroredVariable"), ("data_parallel", "jax", "NamedSharding on 2 devices")],
)
def test_two_device_training_gives_a_model_that_reloads_outside_the_distribution(tmp_path, demo_root, distribution, backend, placement):
    config = {"root": str(demo_root), "out": str(tmp_path / "run"), "overrides": {"training__distribution": distribution}}
    os.makedirs(config["out"])
    trained = _run_script("fit", config, backend, devices=2)
    assert (trained["backend"], trained["replicas"], trained["placement"]) == (backend, 2, placement)
    history = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert len(history) == 1 + 2  # header and both epochs
    reloaded = _run_script("reload", config, backend)  # a fresh process, one device, no strategy
    distributed = np.array(trained["scores"])
    assert len(reloaded["scores"]) - len(distributed) in (0, 1)  # data_parallel cuts an odd last batch
    np.testing.assert_allclose(np.array(reloaded["scores"])[: len(distributed)], distributed, atol=1e-5)


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_multi_worker_trains_on_two_local_workers_like_mirrored(tmp_path, demo_root, make_demo_spec):
    """Two worker processes on localhost ports; the same result as two-replica mirrored."""
    make_demo_spec()  # writes the demo data here, so the two workers do not race to write it
    ports = _free_ports(2)
    cluster = {"worker": [f"localhost:{p}" for p in ports]}
    workers = []
    for index in range(2):
        config = {"root": str(demo_root), "out": str(tmp_path / f"worker{index}"), "overrides": {"training__distribution": "multi_worker"}}
        os.makedirs(config["out"])
        env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
        command = [sys.executable, str(SCRIPT), "fit", json.dumps(config)]
        workers.append((config, subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    results = []
    for config, process in workers:
        _, stderr = process.communicate(timeout=900)
        assert process.returncode == 0, stderr[-4000:]
        results.append(json.loads((Path(config["out"]) / "distributed.json").read_text()))
    assert [r["replicas"] for r in results] == [2, 2]
    histories = [(tmp_path / f"worker{i}" / "history.csv").read_text() for i in range(2)]
    assert histories[0] == histories[1]  # gradients and logged metrics are all-reduced
    mirrored = {"root": str(demo_root), "out": str(tmp_path / "mirrored"), "overrides": {"training__distribution": "mirrored"}}
    os.makedirs(mirrored["out"])
    single_machine = _run_script("fit", mirrored, "tensorflow", devices=2)
    np.testing.assert_allclose(results[0]["scores"], single_machine["scores"], atol=1e-5)
