"""Same spec, data and seed: identical `metrics.json` on CPU; a finished run directory is complete and clean."""

import json

import pytest
from reliability_helpers import TriModal

import keras_multimodal as kmm
from keras_multimodal.atomic import TEMP_PREFIX


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    data = TriModal(tmp_path_factory.mktemp("determinism"))
    spec = data.spec({"training.baselines": False, "training.epochs": 2})
    root = tmp_path_factory.mktemp("runs")
    return [kmm.train(spec, out=root / f"run{i}", verbose=0) for i in range(2)]


def test_same_seed_gives_identical_metrics_json(two_runs):
    first, second = [(run.path / "metrics.json").read_bytes() for run in two_runs]
    assert first == second
    assert (two_runs[0].path / "predictions.csv").read_bytes() == (two_runs[1].path / "predictions.csv").read_bytes()


def test_metrics_json_holds_no_timings_or_paths(two_runs):
    def keys(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield str(key)
                yield from keys(value)
        elif isinstance(node, list):
            for value in node:
                yield from keys(value)

    metrics = json.loads((two_runs[0].path / "metrics.json").read_text())
    words = ("time", "second", "duration", "date", "started", "finished", "path", "dir")
    assert not [k for k in keys(metrics) if any(w in k.lower() for w in words)]
    assert str(two_runs[0].path) not in (two_runs[0].path / "metrics.json").read_text()


def test_finished_run_says_so_and_leaves_no_temporaries(two_runs):
    path = two_runs[0].path
    assert json.loads((path / "run.json").read_text())["status"] == "finished"
    assert not list(path.rglob(f"{TEMP_PREFIX}*")) and not list(path.glob(".serving.*"))
    assert not (path / "backup").exists()  # BackupAndRestore removes its state after a finished fit
