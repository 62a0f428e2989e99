"""The SavedModel's outputs for multiclass, multilabel and regression equal `Run.predict`'s numbers."""

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from keras_multimodal.data.table import load_table
from keras_multimodal.export.serving import export_serving
from keras_multimodal.models.builder import build_model
from keras_multimodal.training.data_setup import prepare_data
from keras_multimodal.training.predictions import apply_threshold
from keras_multimodal.training.predictions import predict_scores
from keras_multimodal.training.predictions import predictions_frame

from serving_client import plain
from serving_client import raw_tensors
from serving_client import serving_plan

TASKS = {
    "multiclass": {"target.column": "grade", "target.task": "multiclass", "target.positive": None},
    "multilabel": {"target.task": "multilabel", "target.column": None, "target.columns": ["tag_a", "tag_b"], "target.positive": None},
    "regression": {"target.column": "score", "target.task": "regression", "target.positive": None},
}


@pytest.mark.parametrize("task", ["multiclass", "regression", pytest.param("multilabel", marks=pytest.mark.slow)])
def test_serving_outputs_per_task(task, tri_modal, tmp_path):
    spec = tri_modal.spec(TASKS[task])
    prepared = prepare_data(spec)
    # Untrained weights are enough: the check is that serving computes the same function.
    model = build_model(spec, prepared.preprocessor)
    export_serving(model, prepared.preprocessor, spec, tmp_path / "serving")
    rows = pd.read_csv(tri_modal.folder / "table.csv", dtype=str, keep_default_na=False).head(12)
    rows.loc[0, "image_file"] = ""
    rows.loc[1, ["age", "temp", "sex"]] = ""
    signature = tf.saved_model.load(str(tmp_path / "serving")).signatures["serving_default"]
    served = plain(signature(**raw_tensors(serving_plan(spec), rows, tri_modal.folder)))
    data = load_table(spec, frame=rows, with_target=False)  # the path `Run.predict` takes
    scores = predict_scores(model, data, prepared.preprocessor)
    classes = prepared.preprocessor["__target__"]["classes"]
    expected = apply_threshold(predictions_frame(data, scores, task, classes, with_truth=False), task, classes, None)
    if task == "regression":
        np.testing.assert_allclose(served["prediction"], expected["y_pred"], rtol=0, atol=1e-5)
        return
    np.testing.assert_allclose(served["probabilities"], scores, rtol=0, atol=1e-5)
    if task == "multiclass":
        assert served["label"] == expected["y_pred"].tolist()
    else:
        assert served["labels"] == expected[[f"y_pred_{c}" for c in classes]].to_numpy().tolist()

