"""Predict every split, compute metrics, write `predictions.csv` and `metrics.json`."""

from pathlib import Path

from keras_multimodal.atomic import write_csv
from keras_multimodal.atomic import write_json
from keras_multimodal.evaluation.metrics import compute_metrics
from keras_multimodal.training.predictions import predict_scores
from keras_multimodal.training.predictions import predictions_frame


def evaluate_model(spec, prepared, model, directory, extra=None):
    """Return (metrics, predictions); the threshold is chosen on val only."""
    data = prepared.data
    scores = predict_scores(model, data, prepared.preprocessor)
    frame = predictions_frame(data, scores, spec.target.task, data.classes)
    groups = data.groups if spec.split.kind == "group_by" else None
    metrics, frame = compute_metrics(frame, spec.target.task, data.classes, seed=spec.training.seed, groups=groups)
    metrics.update(extra or {})
    directory = Path(directory)
    write_csv(directory / "predictions.csv", frame)
    write_json(directory / "metrics.json", metrics)
    return metrics, frame
