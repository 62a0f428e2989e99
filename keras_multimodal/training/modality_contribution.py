"""How much a fused model relies on each input: ablation and permutation importance.

Both work on the cleaned `TableData` before the tf.data pipeline, so a removed
input goes through the model's own absence handling (blank image, empty text,
missing tabular values) exactly as a row that lacked it would. Every variant
of the test rows is predicted in one `model.predict` call, which is far faster
than one call per variant.
"""

import dataclasses

import numpy as np
import pandas as pd

from keras_multimodal.evaluation.metrics import compute_metrics
from keras_multimodal.evaluation.metrics import lower_is_better
from keras_multimodal.evaluation.metrics import main_metric
from keras_multimodal.training.predictions import predict_scores
from keras_multimodal.training.predictions import predictions_frame


def input_columns(spec_input):
    """The `TableData.frame` columns that carry one input."""
    if spec_input.type in ("image", "text"):
        return [spec_input.name]
    return [f"{spec_input.name}/{c}" for c in spec_input.numeric + spec_input.categorical]


def remove_input(frame, spec_input):
    """A copy of `frame` where the input is absent on every row."""
    frame = frame.copy()
    if spec_input.type in ("image", "text"):
        frame[spec_input.name] = ""
        return frame
    for column in spec_input.numeric:
        frame[f"{spec_input.name}/{column}"] = np.nan
    for column in spec_input.categorical:
        frame[f"{spec_input.name}/{column}"] = ""
    return frame


def permute_input(frame, spec_input, rng):
    """A copy of `frame` with the input's columns shuffled together across rows."""
    frame = frame.copy()
    order = rng.permutation(len(frame))
    for column in input_columns(spec_input):
        frame[column] = frame[column].to_numpy()[order]
    return frame


def _variants(frame, inputs, n_repeats, seed):
    """[(kind, input name, frame)]: the full rows first, then removals, then permutations."""
    rng = np.random.default_rng(seed)
    out = [("base", None, frame)]
    out += [("removed", s.name, remove_input(frame, s)) for s in inputs]
    for spec_input in inputs:
        out += [("permuted", spec_input.name, permute_input(frame, spec_input, rng)) for _ in range(n_repeats)]
    return out


def _score(data, scores, task, classes, metric):
    table = predictions_frame(data, scores, task, classes)
    table["split"] = "test"
    metrics, _ = compute_metrics(table, task, classes, n_boot=0)
    return metrics["test"].get(metric)


def _drop(base, value, metric):
    """How much worse the metric got (positive = the input mattered)."""
    if base is None or value is None:
        return None
    return float(value - base) if lower_is_better(metric) else float(base - value)


def modality_contribution(spec, model, data, preprocessor, n_repeats=5, seed=None, batch_size=256):
    """Test metric with each input removed, and permutation importance per input.

    Args:
        spec: `keras_multimodal.Spec` of the model.
        model: the trained Keras model.
        data: `TableData`; only rows with split 'test' are used.
        preprocessor: the run's fitted `Preprocessor`.
        n_repeats: int. Permutations per input. Defaults to 5.
        seed: int or None. Permutation seed; defaults to `spec.training.seed`.

    Returns:
        dict for `metrics.json["modality_contribution"]`, or None for a
        single-input model (nothing to compare).
    """
    inputs = list(spec.inputs.values())
    if len(inputs) < 2:
        return None
    seed = spec.training.seed if seed is None else int(seed)
    test = data.split("test") if "split" in data.frame else data
    task, classes, metric = spec.target.task, list(data.classes), main_metric(spec.target.task)
    variants = _variants(test.frame, inputs, n_repeats, seed)
    stacked = dataclasses.replace(test, frame=pd.concat([v[2] for v in variants], ignore_index=True), labels=None)
    scores = predict_scores(model, stacked, preprocessor, batch_size=batch_size)
    n = len(test.frame)
    values = [_score(test, scores[i * n:(i + 1) * n], task, classes, metric) for i in range(len(variants))]
    result = {"metric": metric, "base": values[0], "n_rows": n, "n_repeats": int(n_repeats), "seed": seed}
    return _summarize(result, variants, values)


def _summarize(result, variants, values):
    """Fill `removed` and `permutation` (drops, mean, sd) from the variants' metric values."""
    base, metric = result["base"], result["metric"]
    result.update(removed={}, permutation={})
    for (kind, name, _), value in zip(variants[1:], values[1:]):
        if kind == "removed":
            result["removed"][name] = {"metric": value, "drop": _drop(base, value, metric)}
        else:
            result["permutation"].setdefault(name, {"drops": []})["drops"].append(_drop(base, value, metric))
    for entry in result["permutation"].values():
        drops = np.array([np.nan if d is None else d for d in entry["drops"]], dtype=float)
        defined = drops[np.isfinite(drops)]
        entry["mean_drop"] = float(defined.mean()) if len(defined) else None
        entry["sd_drop"] = float(defined.std(ddof=1)) if len(defined) > 1 else None
    return result
