"""`evaluate_run` / `kmm evaluate`, modality contribution and the report's extra sections."""

import json
import math
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score
from sklearn.metrics import roc_auc_score

from keras_multimodal.cli import main
from keras_multimodal.run import Run
from keras_multimodal.training.data_setup import prepare_data
from keras_multimodal.training.evaluate_run import evaluate_run
from keras_multimodal.training.modality_contribution import modality_contribution

SECTIONS = ("## Classification report (test)", "## Calibration", "## Leakage checks", "## Modality contribution")
INPUTS = ["xray", "note", "labs"]


def _finite(value):
    return value is not None and math.isfinite(value)


def test_train_report_has_every_section(demo_run):
    text = (demo_run.path / "report.md").read_text()
    for heading in SECTIONS:
        assert heading in text
    for name in ("calibration.png", "modality_contribution.png"):
        assert (demo_run.path / "plots" / name).stat().st_size > 1000
    metrics = demo_run.metrics
    assert set(metrics["leakage"]) == {"images", "texts", "groups", "warnings"}
    assert metrics["leakage"]["groups"]["checked"]  # the demo splits by group_by: patient_id
    contribution = metrics["modality_contribution"]
    assert list(contribution["removed"]) == INPUTS and list(contribution["permutation"]) == INPUTS
    assert contribution["base"] == pytest.approx(metrics["test"]["auroc"], abs=1e-6)
    for name in INPUTS:
        assert _finite(contribution["removed"][name]["drop"])
        assert _finite(contribution["permutation"][name]["mean_drop"])
        assert len(contribution["permutation"][name]["drops"]) == 5
        assert f"| {name} |" in text
    assert (demo_run.path / "modality_contribution.json").is_file()  # the resumable stage's output


def test_evaluate_own_data_matches_sklearn(demo_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(demo_run.path, copy)
    (copy / "report.md").unlink()
    metrics, directory = evaluate_run(copy)
    assert directory == copy
    predictions = pd.read_csv(copy / "predictions.csv")
    for split in ("val", "test"):
        rows = predictions[predictions["split"] == split]
        assert metrics[split]["auroc"] == pytest.approx(roc_auc_score(rows["y_true"], rows["score"]), abs=1e-9)
        assert metrics[split]["auroc"] == pytest.approx(demo_run.metrics[split]["auroc"], abs=1e-6)
    assert json.loads((copy / "metrics.json").read_text())["test"]["auroc"] == metrics["test"]["auroc"]
    assert "baselines" in metrics  # kept from the original run
    text = (copy / "report.md").read_text()
    assert all(heading in text for heading in SECTIONS)


def test_cli_evaluate_on_a_labelled_table(demo_run, demo_root, tmp_path, capsys):
    table = tmp_path / "holdout.csv"
    pd.read_csv(demo_root / "demo.csv").head(80).to_csv(table, index=False)
    copy = tmp_path / "run"
    shutil.copytree(demo_run.path, copy)
    with warnings.catch_warnings():
        # Every row of the table is a test row: empty train/val splits must not make numpy warn
        # ("Mean of empty slice" from the report's missing-fraction summary).
        warnings.simplefilter("error", RuntimeWarning)
        assert main(["evaluate", str(copy), "--table", str(table), "--data-root", str(demo_root)]) == 0
    out = copy / "evaluations" / "holdout"
    for name in ("metrics.json", "predictions.csv", "report.md", "report.html"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    predictions = pd.read_csv(out / "predictions.csv")
    assert len(predictions) == 80 and set(predictions["split"]) == {"test"}
    assert metrics["test"]["n"] == 80 and metrics["val"]["n"] == 0
    assert metrics["test"]["auroc"] == pytest.approx(roc_auc_score(predictions["y_true"], predictions["score"]), abs=1e-9)
    assert metrics["threshold"] == demo_run.metrics["threshold"]  # the run's, chosen on its val split
    assert metrics["test"]["accuracy"] == pytest.approx(accuracy_score(predictions["y_true"], predictions["y_pred"]))
    assert ((predictions["score"] >= metrics["threshold"]).astype(int) == predictions["y_pred"]).all()
    assert str(out) in capsys.readouterr().out
    report = (out / "report.md").read_text()
    assert "n/a" in report and "nan%" not in report  # missing inputs of the empty train/val splits


def test_cli_evaluate_bad_run_dir_exits_2(tmp_path):
    assert main(["evaluate", str(tmp_path)]) == 2


class LabsOnlyModel:
    """Stands in for a trained model that reads nothing but the labs input."""

    def predict(self, ds, verbose=0):
        out = []
        for (x,) in ds:
            z = x["labs_numeric"].numpy() @ np.array([0.5, 1.0, -1.0, 1.0], dtype="float32")
            out.append(1.0 / (1.0 + np.exp(-z)))
        return np.concatenate(out)[:, None]


@pytest.fixture(scope="module")
def demo_data(demo_run):
    run = Run.load(demo_run.path)
    return run.spec, prepare_data(run.spec, preprocessor=run.preprocessor)


def test_ablating_an_unused_input_changes_nothing(demo_data):
    spec, prepared = demo_data
    result = modality_contribution(spec, LabsOnlyModel(), prepared.data, prepared.preprocessor, seed=1)
    for unused in ("xray", "note"):
        assert result["removed"][unused]["drop"] == 0.0
        assert result["permutation"][unused]["drops"] == [0.0] * 5
    assert result["removed"]["labs"]["metric"] == pytest.approx(0.5)  # constant scores
    assert result["removed"]["labs"]["drop"] > 0.05
    assert result["permutation"]["labs"]["mean_drop"] > 0.05


def test_permutation_importance_is_deterministic_per_seed(demo_data):
    spec, prepared = demo_data
    model = LabsOnlyModel()
    first = modality_contribution(spec, model, prepared.data, prepared.preprocessor, seed=3)
    again = modality_contribution(spec, model, prepared.data, prepared.preprocessor, seed=3)
    other = modality_contribution(spec, model, prepared.data, prepared.preprocessor, seed=4)
    assert first == again
    assert first["permutation"]["labs"]["drops"] != other["permutation"]["labs"]["drops"]
    assert first["removed"] == other["removed"]


def test_single_input_model_has_no_contribution(demo_data):
    spec, prepared = demo_data
    single = spec.with_inputs(["labs"])
    assert modality_contribution(single, LabsOnlyModel(), prepared.data, prepared.preprocessor) is None
