"""Model outputs as the `predictions.csv` table."""

import numpy as np
import pandas as pd

from keras_multimodal.data.feature_transform import FeatureTransform
from keras_multimodal.data.pipeline import make_dataset


def predict_scores(model, data, preprocessor, batch_size=64):
    """Raw model outputs for every row of a `TableData`."""
    transform = FeatureTransform(preprocessor)
    ds = make_dataset(data, transform, batch_size, with_labels=False, cache=False)
    return np.asarray(model.predict(ds, verbose=0))


def predictions_frame(data, scores, task, classes, with_truth=True):
    """`row_id`, `split`, the truth, then score columns (before `y_pred` is set)."""
    frame = pd.DataFrame({"row_id": data.frame["row_id"].to_numpy()})
    if "split" in data.frame:
        frame["split"] = data.frame["split"].to_numpy()
    labels = data.labels if with_truth else None
    if task == "binary":
        if labels is not None:
            frame["y_true"] = np.asarray(labels).astype(int)
        frame["score"] = scores.reshape(-1)
    elif task == "multiclass":
        if labels is not None:
            frame["y_true"] = [classes[i] for i in np.asarray(labels).astype(int)]
        for j, name in enumerate(classes):
            frame[f"score_{name}"] = scores[:, j]
    elif task == "multilabel":
        for j, name in enumerate(classes):
            if labels is not None:
                frame[f"y_true_{name}"] = np.asarray(labels)[:, j].astype(int)
        for j, name in enumerate(classes):
            frame[f"score_{name}"] = scores[:, j]
    else:
        if labels is not None:
            frame["y_true"] = np.asarray(labels, dtype=float)
        frame["y_pred"] = scores.reshape(-1)
    return frame


def apply_threshold(frame, task, classes, threshold):
    """Fill `y_pred` for data without metrics (e.g. `Run.predict` on new rows)."""
    frame = frame.copy()
    if task == "binary":
        frame["y_pred"] = (frame["score"] >= (0.5 if threshold is None else threshold)).astype(int)
    elif task == "multiclass":
        scores = frame[[f"score_{c}" for c in classes]].to_numpy()
        frame["y_pred"] = [classes[i] for i in scores.argmax(axis=1)]
    elif task == "multilabel":
        for name in classes:
            frame[f"y_pred_{name}"] = (frame[f"score_{name}"] >= 0.5).astype(int)
    return frame
