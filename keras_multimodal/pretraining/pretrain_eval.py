"""Evaluating a pretraining run: retrieval on val/test, zero-shot metrics, attention examples."""

from pathlib import Path

import numpy as np

from keras_multimodal.atomic import write_csv
from keras_multimodal.atomic import write_json
from keras_multimodal.errors import SpecError
from keras_multimodal.pretraining.retrieval import encode_images
from keras_multimodal.pretraining.retrieval import encode_texts
from keras_multimodal.pretraining.retrieval import retrieval_metrics
from keras_multimodal.pretraining.retrieval import similarity_matrix
from keras_multimodal.pretraining.zero_shot import softmax_scores
from keras_multimodal.pretraining.zero_shot import zero_shot_scores


def model_inputs(table, preprocessor, image, text, batch_size=64):
    """(images, token ids) NumPy arrays for every row of a table, as the pipeline makes them."""
    from keras_multimodal.data.feature_transform import FeatureTransform
    from keras_multimodal.data.pipeline import make_dataset

    ds = make_dataset(table, FeatureTransform(preprocessor), batch_size, with_labels=False, cache=False)
    images, ids = [], []
    for (x,) in ds:
        images.append(np.asarray(x[image]))
        ids.append(np.asarray(x[text]))
    return np.concatenate(images), np.concatenate(ids)


def tokenizer(preprocessor, text):
    """list of str -> (K, T) int ids with the text input's own fitted tokenisation."""

    def tokenize(texts):
        import tensorflow as tf

        from keras_multimodal.data import tf_ops

        ids, _ = tf_ops.text_tensors(tf.constant(list(texts)), tf_ops.text_vectorizer(preprocessor[text]))
        return ids.numpy()

    return tokenize


def evaluate_pretrainer(spec, data, model, run_dir):
    """Write `metrics.json` (retrieval per split, zero-shot) and return (metrics, attention examples)."""
    config = spec.pretrain
    metrics = {"retrieval": {}, "similarity": config.similarity}
    examples = None
    for split in ("val", "test"):
        table = data.pairs.split(split)
        if len(table.frame) < 2:
            continue
        images, ids = model_inputs(table, data.preprocessor, config.image, config.text)
        similarity = similarity_matrix(encode_images(model, images), encode_texts(model, ids), model.contrastive_loss, config.similarity)
        texts = table.frame[config.text].astype(str).str.strip().to_numpy()
        # Reports repeat (a patient's images share one note): an identical report is a correct match.
        positives = texts[:, None] == texts[None, :]
        metrics["retrieval"][split] = retrieval_metrics(similarity, config.retrieval_k, positives)
        if split == "val" and config.attention_examples:
            count = min(config.attention_examples, len(images))
            examples = {"images": images[:count], "ids": ids[:count], "row_ids": table.frame["row_id"].to_numpy()[:count]}
    if spec.zero_shot is not None:
        metrics["zero_shot"] = _zero_shot(spec, data, model, Path(run_dir))
    write_json(Path(run_dir) / "metrics.json", metrics)
    return metrics, examples


def _zero_shot(spec, data, model, run_dir):
    """Zero-shot predictions on the labelled val/test pairs, scored by `compute_metrics` like a supervised run."""
    from keras_multimodal.evaluation.metrics import compute_metrics
    from keras_multimodal.training.predictions import predictions_frame

    labelled = data.labelled
    if labelled is None or spec.target.task not in ("binary", "multiclass"):
        raise SpecError("zero_shot", "zero-shot classification needs a binary or multiclass `target:`")
    classes = list(labelled.classes)
    prompts = _class_prompts(spec.zero_shot, classes, spec.target.task)
    table = labelled.subset(labelled.frame["split"].isin(["val", "test"]).to_numpy())
    if table.frame.empty:
        raise SpecError("zero_shot", "no labelled pairs in the val and test splits to classify")
    images, _ = model_inputs(table, data.preprocessor, spec.pretrain.image, spec.pretrain.text)
    scores = zero_shot_scores(model, encode_images(model, images), prompts, tokenizer(data.preprocessor, spec.pretrain.text), kind=spec.pretrain.similarity)
    probabilities = softmax_scores(scores)
    task = spec.target.task
    frame = predictions_frame(table, probabilities[:, 1] if task == "binary" else probabilities, task, classes)
    groups = table.groups if spec.split.kind == "group_by" else None
    metrics, frame = compute_metrics(frame, task, classes, seed=spec.training.seed, groups=groups)
    write_csv(run_dir / "zero_shot_predictions.csv", frame)
    return metrics


def _class_prompts(zero_shot, classes, task):
    """Prompts in the target's class order; a binary target may name only its positive class plus one other key."""
    if set(zero_shot) == set(classes):
        return {c: zero_shot[c] for c in classes}
    if task == "binary" and len(zero_shot) == 2 and classes[1] in zero_shot:
        other = next(k for k in zero_shot if k != classes[1])
        return {other: zero_shot[other], classes[1]: zero_shot[classes[1]]}
    raise SpecError("zero_shot", f"expected prompts for the target's classes {classes} (binary: the positive class and one other key), found {sorted(zero_shot)}")
