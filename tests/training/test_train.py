"""The run directory contract: files, metrics, predictions, history, Python API."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score
from sklearn.metrics import roc_auc_score

import keras_multimodal as kmm
from keras_multimodal.errors import RunError

RUN_FILES = [
    "run.json",
    "spec.yaml",
    "model.keras",
    "history.csv",
    "metrics.json",
    "predictions.csv",
    "report.md",
    "report.html",
    "plots/confusion_matrix.png",
    "plots/roc.png",
    "plots/pr.png",
    "serving/saved_model.pb",
    "preprocessing.json",
]


def test_run_directory_holds_every_artifact(demo_run):
    for name in RUN_FILES:
        assert (demo_run.path / name).is_file(), name
    info = json.loads((demo_run.path / "run.json").read_text())
    assert info["status"] == "finished"
    assert info["seed"] == 7
    assert len(info["spec_hash"]) == 16 and len(info["data_hash"]) == 16
    assert "keras" in info["versions"] and "tensorflow" in info["versions"]


def test_history_has_each_epoch_once(demo_run):
    history = pd.read_csv(demo_run.path / "history.csv")
    assert history["epoch"].tolist() == [0, 1, 2]
    assert {"loss", "val_loss", "auc", "val_auc"} <= set(history.columns)


def test_metrics_agree_with_sklearn_on_predictions(demo_run):
    metrics = json.loads((demo_run.path / "metrics.json").read_text())
    predictions = pd.read_csv(demo_run.path / "predictions.csv")
    assert list(predictions.columns) == ["row_id", "split", "y_true", "score", "y_pred"]
    assert set(predictions["split"]) == {"train", "val", "test"}
    for split in ("val", "test"):
        rows = predictions[predictions["split"] == split]
        assert metrics[split]["n"] == len(rows)
        assert metrics[split]["auroc"] == pytest.approx(roc_auc_score(rows["y_true"], rows["score"]), abs=1e-9)
        assert metrics[split]["auprc"] == pytest.approx(average_precision_score(rows["y_true"], rows["score"]), abs=1e-9)
        lo, hi = metrics[split]["auroc_ci"]
        assert lo <= metrics[split]["auroc"] <= hi
    threshold = metrics["threshold"]
    assert ((predictions["score"] >= threshold).astype(int) == predictions["y_pred"]).all()


def test_baselines_trained_on_the_same_rows(demo_run):
    metrics = demo_run.metrics
    assert set(metrics["baselines"]) == {"image only (xray)", "text only (note)", "tabular only (labs)"}
    fused = pd.read_csv(demo_run.path / "predictions.csv")
    for name in ("xray", "note", "labs"):
        single = pd.read_csv(demo_run.path / "baselines" / name / "predictions.csv")
        assert single["row_id"].tolist() == fused["row_id"].tolist()
        assert single["split"].tolist() == fused["split"].tolist()
    report = (demo_run.path / "report.md").read_text()
    assert "single-modality baselines" in report and "image only (xray)" in report


def test_run_load_predict_matches_predictions_csv(demo_run, demo_root):
    run = kmm.Run.load(demo_run.path)
    table = pd.read_csv(demo_root / "demo.csv")
    out = run.predict(table.drop(columns=["outcome"]))
    saved = pd.read_csv(demo_run.path / "predictions.csv").set_index("row_id")
    joined = out.set_index(out["row_id"].astype(int)).join(saved, rsuffix="_saved", how="inner")
    assert len(joined) == len(saved)
    np.testing.assert_allclose(joined["score"], joined["score_saved"], atol=1e-6)


def test_run_evaluate_on_labelled_rows(demo_run, demo_root):
    table = pd.read_csv(demo_root / "demo.csv")
    run = kmm.Run.load(demo_run.path)
    rows = table.head(120)
    result = run.evaluate(rows)
    assert result["n"] == 120
    assert result["threshold"] == run.metrics["threshold"]
    # Every threshold-dependent number uses the run's validation threshold, not 0.5.
    from sklearn.metrics import precision_score

    scores = run.predict(rows.drop(columns=["outcome"]))["score"]
    truth = (rows["outcome"] == "severe").astype(int)
    predicted = (scores >= run.metrics["threshold"]).astype(int)
    assert result["precision_macro"] == pytest.approx(precision_score(truth, predicted, average="macro", zero_division=0))
    assert result["auroc"] == pytest.approx(roc_auc_score(truth, scores))


def test_finished_run_of_same_spec_is_returned_untouched(demo_run):
    spec = kmm.Run.load(demo_run.path).spec
    before = (demo_run.path / "run.json").read_text()
    again = kmm.train(spec, out=demo_run.path, verbose=0, log=lambda *a: None)
    assert again.path == demo_run.path
    assert (demo_run.path / "run.json").read_text() == before


def test_finished_run_of_other_spec_is_not_overwritten(demo_run):
    import copy

    original = kmm.Run.load(demo_run.path).spec
    raw = copy.deepcopy(original.raw)
    raw["training"]["epochs"] = 99
    spec = kmm.Spec.from_dict(raw, spec_dir=demo_run.path, source="changed")
    with pytest.raises(RunError, match="finished run of a different spec"):
        kmm.train(spec, out=demo_run.path, verbose=0)


def test_default_run_dir_skips_finished_runs(tmp_path, monkeypatch):
    from keras_multimodal.training.run_directory import choose_run_dir

    spec = kmm.load_spec(None, data__root=str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    first, resuming = choose_run_dir(spec)
    assert str(first) == "runs/demo" and not resuming
    first.mkdir(parents=True)
    (first / "run.json").write_text(json.dumps({"status": "finished", "spec_hash": spec.hash}))
    second, _ = choose_run_dir(spec)
    assert str(second) == "runs/demo-1"
    second.mkdir()
    (second / "run.json").write_text(json.dumps({"status": "running", "spec_hash": spec.hash}))
    again, resuming = choose_run_dir(spec)
    assert str(again) == "runs/demo-1" and resuming
