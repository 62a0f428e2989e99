"""The report of a pretraining run: loss curves, retrieval, zero-shot, attention maps."""

from pathlib import Path

import pandas as pd

from keras_multimodal.evaluation.report import write_report
from keras_multimodal.pretraining.attention_maps import attention_maps
from keras_multimodal.pretraining.attention_maps import caption_words
from keras_multimodal.pretraining.attention_maps import plot_attention


def retrieval_blocks(retrieval):
    """A table of Recall@K / Precision@K per direction and split."""
    splits = [s for s in ("val", "test") if s in retrieval]
    if not splits:
        return []
    names = [k for k in retrieval[splits[0]] if k != "n"]
    rows = [[name] + [f"{retrieval[s].get(name, float('nan')):.3f}" for s in splits] for name in names]
    rows.append(["pairs (n)"] + [str(retrieval[s]["n"]) for s in splits])
    return [
        ("h2", "Retrieval"),
        ("p", "Image->text and text->image retrieval among the split's pairs; a text counts as a match for "
              "every image whose report is identical (one note can belong to several images)."),
        ("table", ["metric"] + splits, rows),
    ]


def build_pretrain_report(run_dir, spec, data, model, metrics, examples):
    from keras_multimodal.evaluation.plots import plot_training_curves

    run_dir = Path(run_dir)
    plots = {}
    history = pd.read_csv(run_dir / "history.csv") if (run_dir / "history.csv").exists() else None
    if history is not None and len(history):
        plots["training_curves"] = _rel(run_dir, plot_training_curves(history, run_dir / "plots" / "training_curves.png"))
    if examples is not None:
        maps = attention_maps(model, examples["images"], examples["ids"])
        entry = data.preprocessor[spec.pretrain.text]
        for k, row_id in enumerate(examples["row_ids"]):
            words = caption_words(examples["ids"][k], entry)
            path = plot_attention(examples["images"][k], words, maps[k], run_dir / "plots" / f"attention_{k}.png")
            plots[f"attention_{k}"] = _rel(run_dir, path)
    counts = data.pairs.frame["split"].value_counts()
    summary = {
        "task": spec.target.task if spec.target is not None else "binary",
        "model": f"GLoRIA dual encoder: {spec.pretrain.image} ({spec.model.encoders[spec.pretrain.image].name}) + "
                 f"{spec.pretrain.text} ({spec.model.encoders[spec.pretrain.text].name})",
        "params": int(model.count_params()),
        "rows": {s: int(counts.get(s, 0)) for s in ("train", "val", "test")},
    }
    config = spec.pretrain
    notes = [
        f"loss = {config.local_weight} x local + {config.global_weight} x global; tau1={config.tau1}, "
        f"tau2={config.tau2}, tau3={config.tau3}, normalization={config.normalization}, aggregation={config.aggregation}",
        f"retrieval and zero-shot similarity: {config.similarity}",
        "Attention plots: where each word of a validation report looks in its own image.",
    ]
    zero_shot = metrics.get("zero_shot") or {}
    sections = retrieval_blocks(metrics.get("retrieval", {}))
    if zero_shot:
        sections.insert(0, ("p", "The metrics above are zero-shot: class prompts scored against the images, no labels used."))
    return write_report(
        run_dir,
        title=f"Contrastive pretraining: {spec.name}",
        metrics=zero_shot,
        summary=summary,
        baselines=None,
        plots=plots,
        history=history,
        notes=notes,
        sections=sections,
    )


def _rel(run_dir, path):
    return Path(path).relative_to(run_dir).as_posix()
