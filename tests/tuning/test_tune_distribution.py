"""`tune` honours `training.distribution`, `mixed_precision` and `jit_compile` as `train` does."""

import json
import os
import subprocess
import sys
import warnings

import keras
import keras_tuner
import pandas as pd
import pytest

from keras_multimodal.cli import main
from keras_multimodal.errors import RunError
from keras_multimodal.training.data_setup import prepare_data
from keras_multimodal.tuning import hypermodel as hypermodel_module
from keras_multimodal.tuning import tune
from keras_multimodal.tuning.hypermodel import HyperModelMethods
from keras_multimodal.tuning.hypermodel import MultimodalHyperModel
from search_fixtures import TINY_SEARCH


def _other_backend_distribution():
    return {"tensorflow": ("data_parallel", "jax"), "jax": ("mirrored", "tensorflow")}[keras.backend.backend()]


def test_impossible_distribution_exits_2_before_any_trial(capsys, tmp_path):
    name, needed = _other_backend_distribution()
    out = tmp_path / "t"
    code = main(["tune", "--set", f"training.distribution={name}", "--set", f"data.root={tmp_path / 'data'}", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"training.distribution: {name} needs the {needed} backend" in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists() and not (tmp_path / "data").exists()  # no trial, not even the demo data


@pytest.fixture(scope="module")
def mixed_hypermodel(make_demo_spec):
    spec = make_demo_spec(training__mixed_precision=True, training__jit_compile=False, **TINY_SEARCH)
    return MultimodalHyperModel(spec, prepare_data(spec))


def _default_hp(hypermodel):
    hp = keras_tuner.HyperParameters()
    hypermodel.choices(hp)
    return hp


def test_build_after_clear_session_is_mixed_float16_and_restores_the_policy(mixed_hypermodel):
    keras.backend.clear_session()  # what Keras Tuner does before every build, and get_best_models outside the search
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "no GPU found" for mixed precision on a CPU
        model = mixed_hypermodel.build(_default_hp(mixed_hypermodel))
    assert model.dtype_policy.name == "mixed_float16"
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.jit_compile is False  # training.jit_compile reaches compile
    assert keras.config.dtype_policy().name == "float32"


def test_policy_is_restored_when_a_build_fails(mixed_hypermodel, monkeypatch):
    policies = []

    def broken(spec, preprocessor):
        policies.append(keras.config.dtype_policy().name)
        raise ValueError("broken build")

    monkeypatch.setattr(hypermodel_module, "build_model", broken)
    with warnings.catch_warnings(), pytest.raises(ValueError, match="broken build"):
        warnings.simplefilter("ignore", UserWarning)
        mixed_hypermodel.build(_default_hp(mixed_hypermodel))
    assert policies == ["mixed_float16"] and keras.config.dtype_policy().name == "float32"


def test_search_builds_trial_models_under_mixed_float16(make_demo_spec, tmp_path, monkeypatch):
    """Through Keras Tuner's own trial loop (clear_session, build, fit); the fit is stubbed to keep it fast.

    Fitting under the scope is checked on two JAX devices by the slow test below.
    """
    seen = []

    def fit(self, hp, model, *args, **kwargs):
        seen.append((model.dtype_policy.name, model.get_layer("fusion").compute_dtype, keras.config.dtype_policy().name))
        return {"val_loss": 0.5}

    monkeypatch.setattr(HyperModelMethods, "fit", fit)
    spec = make_demo_spec(training__mixed_precision=True, **TINY_SEARCH)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert tune(spec, out=tmp_path / "tune", verbose=0, log=lambda line: None, retrain=False) is None
    # Two trials: the second build follows Keras Tuner's clear_session, which resets the global policy.
    assert seen == [("mixed_float16", "float16", "float32")] * 2
    trials = [json.loads(p.read_text()) for p in (tmp_path / "tune" / "tuner" / "demo").glob("trial_*/trial.json")]
    assert [t["status"] for t in trials] == ["COMPLETED"] * 2
    assert keras.config.dtype_policy().name == "float32"


_JAX_SEARCH = """
import json, sys
import keras_multimodal as kmm
from keras_multimodal.tuning import tune
settings = json.loads(sys.argv[1])
spec = kmm.load_spec(None, **settings)
run = tune(spec, out=sys.argv[2], verbose=0, log=lambda line: None)
import keras
print("RESULT", json.dumps({"status": run.info["status"], "policy": keras.config.dtype_policy().name,
                            "devices": len(keras.distribution.list_devices())}))
"""


@pytest.mark.slow
def test_data_parallel_search_and_retrain_on_two_jax_devices(tmp_path):
    """A fresh JAX process with two host devices: odd-sized last batches are made shardable."""
    settings = {
        "data__root": str(tmp_path / "data"), "data__generate__rows": 150, "training__batch_size": 32,
        "training__patience": 0, "training__distribution": "data_parallel", "training__mixed_precision": True,
        **{**TINY_SEARCH, "tuning__max_trials": 1, "tuning__batch_size": [32]},
    }
    env = {**os.environ, "KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    done = subprocess.run([sys.executable, "-c", _JAX_SEARCH, json.dumps(settings), str(tmp_path / "tune")],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.split("RESULT", 1)[1])
    assert result == {"status": "finished", "policy": "float32", "devices": 2}
    # Keras Tuner records a failed trial and goes on: without even batches the trial fails (IndivisibleError).
    assert list(pd.read_csv(tmp_path / "tune" / "tuning.csv")["status"]) == ["COMPLETED"]


def test_wrong_backend_refused_by_the_python_api(make_demo_spec, tmp_path):
    name, _ = _other_backend_distribution()
    with pytest.raises(RunError, match=name):
        tune(make_demo_spec(training__distribution=name, **TINY_SEARCH), out=tmp_path / "t", verbose=0, log=lambda line: None)
    assert not (tmp_path / "t").exists()
