"""`kmm pretrain` on synthetic pairs learns the alignment (irene_gloria.md B2.3-11), and its encoders help fine-tuning."""

import json

import numpy as np
import pytest
import yaml

from keras_multimodal.pretraining import synthetic_pairs as sp

# About 2.5 minutes on 2 shared CPU cores: the acceptance tier.
pytestmark = pytest.mark.slow

SPEC = {
    "name": "shapes",
    "data": {"table": "pairs.csv", "id": "pair_id"},
    "target": {"column": "finding", "task": "multiclass"},
    "split": {"test": 0.2, "val": 0.1, "seed": 1},
    "inputs": {
        "image": {"type": "image", "column": "image_file", "path_template": "images/{}", "size": [32, 32], "channels": 3},
        "report": {"type": "text", "column": "report", "sequence_length": 8, "standardize": "lower"},
    },
    "model": {
        "encoders": {
            "image": {"name": "cnn", "filters": [16, 32, 32], "output_dim": 32},
            "report": {"name": "cnn1d", "embedding_dim": 32, "filters": [32], "kernel_size": 1},
        },
        "dropout": 0.0,
    },
    "training": {"epochs": 12, "batch_size": 32, "learning_rate": 0.002, "seed": 0, "patience": 0},
    "pretrain": {"embedding_dim": 32, "attention_examples": 2},
    "zero_shot": {shape: [shape] for shape in sp.SHAPES},
}


@pytest.fixture(scope="module")
def shapes_run(tmp_path_factory):
    """One `kmm pretrain` run on 800 synthetic pairs (trained once for the module)."""
    from keras_multimodal.cli import main

    folder = tmp_path_factory.mktemp("shapes")
    sp.write_synthetic_pairs(folder, 800, seed=1)
    (folder / "spec.yaml").write_text(yaml.safe_dump(SPEC, sort_keys=False))
    out = folder / "run"
    assert main(["pretrain", str(folder / "spec.yaml"), "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def trained(shapes_run):
    import keras

    from keras_multimodal.data.preprocessor import Preprocessor
    from keras_multimodal.pretraining.pretrain_eval import tokenizer

    model = keras.saving.load_model(shapes_run / "model.keras")
    return model, tokenizer(Preprocessor.load(shapes_run / "preprocessing.json"), "report")


def test_run_directory_holds_encoders_report_and_metrics(shapes_run):
    for name in ("model.keras", "encoders/image.keras", "encoders/text.keras", "encoders.json", "history.csv", "report.html", "report.md", "plots/attention_0.png", "zero_shot_predictions.csv"):
        assert (shapes_run / name).is_file(), name
    metrics = json.loads((shapes_run / "metrics.json").read_text())
    assert set(metrics["retrieval"]) == {"val", "test"}
    assert {"text_to_image_recall@1", "image_to_text_recall@5"} <= set(metrics["retrieval"]["test"])
    assert metrics["zero_shot"]["test"]["n"] > 0 and "auroc" in metrics["zero_shot"]["test"]
    assert json.loads((shapes_run / "run.json").read_text())["status"] == "finished"
    assert "Retrieval" in (shapes_run / "report.md").read_text()


def test_learned_alignment_on_held_out_pairs(trained, record_property):
    from keras_multimodal.pretraining import encode_images
    from keras_multimodal.pretraining import encode_texts
    from keras_multimodal.pretraining import retrieval_metrics
    from keras_multimodal.pretraining import similarity_matrix
    from keras_multimodal.pretraining.retrieval import batched_recall_at_1
    from keras_multimodal.pretraining.zero_shot import zero_shot_scores

    model, tokenize = trained
    held_out = sp.make_synthetic_pairs(256, seed=2)
    ids = tokenize(held_out.texts)
    images = encode_images(model, held_out.images)
    similarity = similarity_matrix(images, encode_texts(model, ids), model.contrastive_loss, "both")
    # Reports naming the same shapes are interchangeable, so they count as matches.
    recall = batched_recall_at_1(similarity, held_out.same_findings())
    attention = np.asarray(model.attention({"image": held_out.images, "report": ids}))
    hits = []
    for k, text in enumerate(held_out.texts):
        for j, word in enumerate(text.split()):
            if word in sp.SHAPES:
                cell = held_out.cells[k][held_out.findings[k].index(sp.SHAPES.index(word))]
                hits.append(np.argmax(attention[k, j]) == cell)
    single = sp.make_synthetic_pairs(200, seed=3, max_findings=1)
    single_images = encode_images(model, single.images)
    scores = zero_shot_scores(model, single_images, {s: [s] for s in sp.SHAPES}, tokenize)
    accuracy = float(np.mean(scores.argmax(1) == single.labels))
    # (d) class-based Precision@5, image -> text, on a 5-class x 40 mini "5x200" set.
    five = np.isin(single.labels, range(5))
    mini = {k: v[five] for k, v in single_images.items()}
    texts = encode_texts(model, tokenize([single.texts[i] for i in np.flatnonzero(five)]))
    labels = single.labels[five]
    precision = retrieval_metrics(similarity_matrix(mini, texts, model.contrastive_loss, "both"), (5,), image_labels=labels, text_labels=labels)["image_to_text_precision@5"]
    record_property("alignment", {"t2i_recall@1": recall, "attention_peak": float(np.mean(hits)), "zero_shot": accuracy, "precision@5": precision})
    print(f"text->image R@1 {recall:.3f}, attention peak {np.mean(hits):.3f} ({len(hits)} words), zero-shot {accuracy:.3f}, P@5 {precision:.3f}")
    assert recall > 0.8
    assert precision > 0.7
    assert np.mean(hits) > 0.7
    assert accuracy > 0.8


def _finetune_table(folder):
    """Single-shape images; 10% of the 400 labelled rows train, the rest is val/test."""
    import pandas as pd

    pairs = sp.write_synthetic_pairs(folder, 400, seed=5, max_findings=1)
    table = pd.read_csv(folder / "pairs.csv")
    table["fold"] = ["train" if k < 40 else "val" if k < 80 else "test" for k in range(len(table))]
    table.to_csv(folder / "pairs.csv", index=False)
    return pairs


def _accuracy(spec_raw, folder):
    from keras_multimodal.specs import Spec
    from keras_multimodal.training.data_setup import prepare_data
    from keras_multimodal.training.fit import fit_model
    from keras_multimodal.training.predictions import predict_scores

    spec = Spec.from_dict(spec_raw, spec_dir=folder)
    prepared = prepare_data(spec)
    model = fit_model(spec, prepared, folder / f"model_{len(list(folder.glob('model_*')))}", verbose=0)
    test = prepared.data.split("test")
    scores = predict_scores(model, test, prepared.preprocessor)
    return float(np.mean(scores.argmax(1) == np.asarray(test.labels).astype(int))), model


def test_pretrained_encoder_beats_scratch_with_ten_percent_of_labels(shapes_run, tmp_path, record_property):
    _finetune_table(tmp_path)
    base = {
        "name": "shapes_ft",
        "data": {"table": "pairs.csv", "id": "pair_id"},
        "target": {"column": "finding", "task": "multiclass", "classes": list(sp.SHAPES)},
        "split": {"column": "fold"},
        "inputs": {"image": SPEC["inputs"]["image"]},
        "model": {"encoders": {"image": SPEC["model"]["encoders"]["image"]}, "dropout": 0.0},
        "training": {"epochs": 6, "batch_size": 16, "learning_rate": 0.003, "seed": 0, "patience": 0, "baselines": False},
    }
    scratch, _ = _accuracy(base, tmp_path)
    pretrained_raw = {**base, "model": {"encoders": {"image": {"from_pretrained": str(shapes_run), "freeze": False}}, "dropout": 0.0}}
    pretrained, model = _accuracy(pretrained_raw, tmp_path)
    record_property("finetune", {"pretrained": pretrained, "scratch": scratch})
    print(f"10% labels: pretrained {pretrained:.3f} vs scratch {scratch:.3f}")
    assert type(model.get_layer("image_encoder")).__name__ == "ImageCNNEncoder"
    assert pretrained > scratch
