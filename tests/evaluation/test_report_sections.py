"""Classification report, reliability curves and the extra report sections."""

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import classification_report

from keras_multimodal.evaluation.calibration import classification_report_text
from keras_multimodal.evaluation.calibration import reliability_curves
from keras_multimodal.evaluation.metrics import compute_metrics
from keras_multimodal.evaluation.report import write_report
from keras_multimodal.evaluation.report_sections import diagnostic_sections

CLASSES = ["a", "b", "c"]


def _multiclass(n=90, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    logits = rng.normal(size=(n, 3)) + 1.5 * np.eye(3)[y]
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    frame = pd.DataFrame({"row_id": range(n), "split": "test", "y_true": [CLASSES[i] for i in y]})
    for j, c in enumerate(CLASSES):
        frame[f"score_{c}"] = p[:, j]
    return compute_metrics(frame, "multiclass", CLASSES, n_boot=10)


def test_classification_report_is_sklearns():
    metrics, frame = _multiclass()
    text = classification_report_text(frame, "multiclass", CLASSES)
    assert text == classification_report(frame["y_true"], frame["y_pred"], labels=CLASSES, digits=3, zero_division=0)
    assert classification_report_text(frame, "regression", []) is None


def test_reliability_curves_are_one_vs_rest_calibration_curves():
    _, frame = _multiclass()
    curves = reliability_curves(frame, "multiclass", CLASSES)
    assert list(curves) == CLASSES
    for c in CLASSES:
        observed, predicted = calibration_curve((frame["y_true"] == c).astype(int), frame[f"score_{c}"], n_bins=10)
        np.testing.assert_allclose(curves[c][0], predicted)
        np.testing.assert_allclose(curves[c][1], observed)
        assert curves[c][2].sum() == len(frame)


def test_sections_write_plots_and_report_text(tmp_path):
    metrics, frame = _multiclass()
    metrics["leakage"] = {"images": {"checked": True, "n_shared": 2, "n_rows": 4, "examples": []},
                          "texts": {"checked": False, "n_shared": 0, "n_rows": 0, "examples": []},
                          "groups": {"checked": False, "n_shared": 0, "n_rows": 0, "examples": []},
                          "warnings": ["leakage: 2 identical image files found in more than one split"]}
    metrics["modality_contribution"] = {
        "metric": "auroc", "base": 0.8, "n_rows": 90, "n_repeats": 5, "seed": 0,
        "removed": {"img": {"metric": 0.6, "drop": 0.2}, "txt": {"metric": 0.8, "drop": 0.0}},
        "permutation": {"img": {"mean_drop": 0.1, "sd_drop": 0.01}, "txt": {"mean_drop": 0.0, "sd_drop": None}}}
    sections = diagnostic_sections(tmp_path, "multiclass", CLASSES, frame, metrics)
    assert (tmp_path / "plots" / "calibration.png").stat().st_size > 1000
    assert (tmp_path / "plots" / "modality_contribution.png").stat().st_size > 1000
    md, html = write_report(tmp_path, title="t", metrics=metrics, summary={"task": "multiclass"},
                            baselines=None, plots={}, history=None, sections=sections)
    text = md.read_text()
    for heading in ("## Classification report (test)", "## Calibration", "## Leakage checks",
                    "## Modality contribution"):
        assert heading in text
    assert "WARNING leakage: 2 identical image files" in text
    assert "| img | 0.6000 | 0.2000 | 0.1000 ± 0.0100 |" in text
    assert "| txt | 0.8000 | 0.0000 | 0.0000 ± n/a |" in text
    assert "<pre>" in html.read_text() and "weighted avg" in html.read_text()


@pytest.mark.parametrize("task", ["regression"])
def test_regression_has_no_classification_sections(tmp_path, task):
    frame = pd.DataFrame({"row_id": range(5), "split": "test", "y_true": np.arange(5.0), "y_pred": np.arange(5.0)})
    assert diagnostic_sections(tmp_path, task, [], frame, {"test": {}}) == []
