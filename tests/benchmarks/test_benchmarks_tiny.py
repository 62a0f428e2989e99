"""Each benchmark once at tiny size (in-process), so the scripts cannot rot.

The numbers of a tiny run mean nothing; these tests check that every script
runs end to end, measures what its table claims, and writes its own section
into the RESULTS.md of the given folder (never benchmarks/RESULTS.md).
"""

import json

import pytest

import _common


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("bench")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    # One synthetic demo dataset shared by the demo benchmarks (generated once).
    return str(tmp_path_factory.mktemp("demo_data"))


def _section(out, name):
    section = _common.read_section(out, name)
    assert section is not None, f"no {name} section in {out}/RESULTS.md"
    assert "Tiny smoke run" in section and "Machine:" in section
    return section


def test_overhead_tiny(out, data):
    import overhead

    result = overhead.main(["--tiny", "--out", str(out), "--data", data])
    toolkit, hand = result["models"].values()
    assert toolkit["params"] == hand["params"]  # the same architecture, written twice
    assert len(toolkit["epoch_s"]) == len(hand["epoch_s"]) == 2
    assert result["ratio"] > 0
    assert "Throughput ratio" in _section(out, "overhead")
    assert json.loads((out / "overhead.json").read_text())["tiny"] is True


def test_input_pipeline_tiny(out, data):
    import input_pipeline

    result = input_pipeline.main(["--tiny", "--out", str(out), "--data", data])
    summary = result["summary"]
    assert summary["toolkit_steady_samples_per_s"] > 0 and summary["hand_samples_per_s"] > 0
    assert summary["model_samples_per_s"] > 0
    assert "Speed-up (steady)" in _section(out, "input_pipeline")


def test_hand_pipeline_matches_toolkit_batches(data):
    """The hand-written generator feeds the same named inputs with the same shapes."""
    import numpy as np

    from _common import demo_spec
    from _hand_pipeline import HandPipeline
    from keras_multimodal.data.feature_transform import FeatureTransform
    from keras_multimodal.data.pipeline import make_dataset
    from keras_multimodal.training.data_setup import prepare_data

    spec = demo_spec(data, 120)
    prepared = prepare_data(spec)
    train = prepared.data.split("train")
    x_tk, _ = next(iter(make_dataset(train, FeatureTransform(prepared.preprocessor), 8)))
    x_hand, y_hand = next(HandPipeline(train.frame, spec).generator(train.frame, train.labels, 8))
    assert sorted(x_tk) == sorted(x_hand)
    for key in x_tk:
        assert tuple(x_tk[key].shape) == x_hand[key].shape, key
    assert np.all((x_hand["xray"] >= 0) & (x_hand["xray"] <= 1))


def test_backends_tiny(out, data):
    import backends

    result = backends.main(["--tiny", "--out", str(out), "--data", data])
    for backend in ("tensorflow", "jax"):
        runs = result["runs"][backend]
        assert runs and "error" not in runs[0], runs
        assert runs[0]["backend"] == backend and len(runs[0]["epoch_s"]) == 2
    assert result["jax_over_tf_steady"] > 0
    assert "JAX / TensorFlow" in _section(out, "backends")


def test_gpu_check_smoke(tmp_path):
    import gpu_check

    result = gpu_check.main(["--tiny", "--out", str(tmp_path)])
    assert result["smoke"] is True
    assert [(c["policy"], c.get("error")) for c in result["configs"]] == [("float32", None), ("mixed_float16", None)]
    mixed = result["configs"][1]
    assert mixed["float16_layers"] > 0 and mixed["loss_scale_optimizer"]
    assert all(c["final_loss"] == c["final_loss"] for c in result["configs"])  # not NaN
    assert (tmp_path / "gpu_check.json").exists() and (tmp_path / "gpu_check.md").exists()
    assert "Smoke mode" in _section(tmp_path, "gpu_check")


def test_accuracy_tiny(out):
    import accuracy

    result = accuracy.main(["--tiny", "--out", str(out)])
    rows = {r["model"]: r for r in result["results"]["petfinder"]["rows"]}
    assert len([r for r in rows.values() if r["kind"] == "toolkit"]) == 2  # default and tuned spec
    kinds = {r["kind"] for r in rows.values()}
    assert kinds == {"scikit-learn", "hand-written Keras", "toolkit"}
    for row in rows.values():
        assert row["test_auroc"] is not None and 0 <= row["test_auroc"] <= 1, row
        assert row["test_ci"][0] <= row["test_auroc"] <= row["test_ci"][1]
    section = _section(out, "accuracy_petfinder")
    assert "**Goals:**" in section and "late fusion" in section


def test_tiny_runs_left_benchmarks_results_alone():
    # Full runs may legitimately rewrite benchmarks/RESULTS.md meanwhile; a tiny section must never land there.
    path = _common.BENCHMARKS_DIR / _common.RESULTS_NAME
    assert not path.exists() or "Tiny smoke run" not in path.read_text()
    assert not any((_common.BENCHMARKS_DIR / "demo_data").glob("*"))
