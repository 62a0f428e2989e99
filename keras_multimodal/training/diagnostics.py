"""Leakage checks and modality contribution, added to a run's `metrics.json`."""

import json
from pathlib import Path

from keras_multimodal.atomic import write_json
from keras_multimodal.evaluation.leakage import check_leakage
from keras_multimodal.training.modality_contribution import modality_contribution

CONTRIBUTION_FILE = "modality_contribution.json"


def leakage_report(spec, data):
    """`check_leakage` over the spec's image and text inputs, and its group_by column."""
    images = [s.name for s in spec.inputs.values() if s.type == "image"]
    texts = [s.name for s in spec.inputs.values() if s.type == "text"]
    # Only a group_by split promises that groups stay apart; other split kinds
    # have no group column to check (data.groups then holds split labels or hash keys).
    groups = data.groups if spec.split.kind == "group_by" else None
    return check_leakage(data.frame, images, texts, groups)


def contribution_stage(spec, prepared, model, directory, reuse=True):
    """Modality contribution, cached in `<directory>/modality_contribution.json`.

    With `reuse`, a finished stage is read back instead of recomputed, so
    `kmm train` resumed after a crash does not redo it.
    """
    path = Path(directory) / CONTRIBUTION_FILE
    if reuse and path.is_file():
        return json.loads(path.read_text()) or None
    result = modality_contribution(spec, model, prepared.data, prepared.preprocessor)
    write_json(path, result)
    return result


def add_diagnostics(spec, prepared, model, directory, metrics, reuse=True):
    """Put `leakage` and `modality_contribution` into `metrics` and rewrite metrics.json."""
    metrics["leakage"] = leakage_report(spec, prepared.data)
    # training.modality_contribution: false skips the ablation (one prediction pass per variant).
    contribution = contribution_stage(spec, prepared, model, directory, reuse=reuse) if spec.training.modality_contribution else None
    if contribution:
        metrics["modality_contribution"] = contribution
    write_json(Path(directory) / "metrics.json", metrics)
    return metrics
