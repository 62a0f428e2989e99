"""Every spec in data_specs/ validates against its data and trains (tiny, one epoch)."""

from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

import keras_multimodal as kmm
from keras_multimodal.specs.loader import DEMO_SPEC
from keras_multimodal.validation import validate

SPECS = Path(__file__).resolve().parents[1] / "data_specs"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
REAL = sorted(p.name for p in SPECS.glob("*.yaml") if p.name != "demo.yaml")
# Small but real: enough rows for every split and class, images shrunk for CPU.
TINY = {
    "covid_cxr.yaml": {"inputs__xray__size": [32, 32], "inputs__notes__sequence_length": 64},
    "petfinder.yaml": {"data__limit": 400},
    "petfinder_best.yaml": {"data__limit": 400},
    "petfinder_multiclass.yaml": {"data__limit": 600},
    "womens_clothing.yaml": {"data__limit": 400},
    "womens_clothing_rating.yaml": {"data__limit": 400},
}


def test_demo_spec_in_data_specs_is_the_embedded_one():
    assert (SPECS / "demo.yaml").read_text() == DEMO_SPEC.read_text()


def test_every_real_spec_has_a_tiny_setting():
    assert sorted(TINY) == REAL


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is not beside the checkout")
@pytest.mark.parametrize("name", REAL)
def test_spec_validates_and_trains(name, tmp_path):
    overrides = dict(TINY[name])
    if name == "petfinder_best.yaml":
        overrides["data__root"] = str(_petfinder_fold_table(tmp_path))
    spec = kmm.load_spec(SPECS / name, training__epochs=1, training__baselines=False, **overrides)
    summary = validate(spec)
    assert min(summary["rows_per_split"].values()) > 0
    run = kmm.train(spec, out=tmp_path / "run", verbose=0)
    metrics = run.metrics
    main = "rmse" if spec.target.task == "regression" else "auroc"
    assert metrics["test"][main] is not None
    assert (run.path / "serving" / "saved_model.pb").is_file()
    report = (run.path / "report.md").read_text()
    sections = ["## Dataset summary", "## Metrics", "## Leakage checks", "## Modality contribution"]
    if spec.target.task != "regression":
        sections += ["## Classification report (test)", "## Calibration"]
    for section in sections:
        assert section in report, section
    if spec.target.task == "binary":
        predictions = pd.read_csv(run.path / "predictions.csv")
        test = predictions[predictions["split"] == "test"]
        assert metrics["test"]["auroc"] == pytest.approx(roc_auc_score(test["y_true"], test["score"]), abs=1e-9)


def _petfinder_fold_table(folder):
    """petfinder_best.yaml reads the benchmark's derived table (petfinder + its `fold` column)."""
    import sys

    sys.path.insert(0, str(SPECS.parent / "benchmarks"))
    from _accuracy_data import petfinder_table

    return petfinder_table(source=SHARED / "petfinder_mini_desc" / "petfinder-mini.csv", cache=folder)
