import json
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

from keras_multimodal.data import synthetic
from keras_multimodal.data.synthetic import generate_frame, make_synthetic_dataset

NUMERIC = ["age", "temperature", "spo2", "crp"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    csv = make_synthetic_dataset(tmp_path_factory.mktemp("demo") / "data", rows=1000, seed=0)
    frame = pd.read_csv(csv)
    text_cols = ["image_file", "note", "sex", "smoker"]
    frame[text_cols] = frame[text_cols].fillna("")
    return csv, frame


def test_table_schema(demo):
    csv, frame = demo
    assert csv.name == "demo.csv"
    assert list(frame.columns) == synthetic.COLUMNS
    assert len(frame) == 1000
    assert frame["patient_id"].str.fullmatch(r"P\d{5}").all()
    assert set(frame["outcome"]) == {"severe", "mild"}
    assert set(frame["sex"]) <= {"M", "F", ""}
    assert set(frame["smoker"]) <= {"yes", "no", "former", ""}
    assert 0.4 < (frame["outcome"] == "severe").mean() < 0.6
    words = frame.loc[frame["note"] != "", "note"].str.split().str.len()
    assert words.min() >= 10 and words.max() <= 60


def test_missingness_and_patients(demo):
    _, frame = demo
    assert 0.03 < (frame["image_file"] == "").mean() < 0.12
    assert 0.03 < (frame["note"] == "").mean() < 0.12
    for col in NUMERIC:
        assert 0.05 < frame[col].isna().mean() < 0.15, col
    all_tab = frame[NUMERIC].isna().all(axis=1) & (frame["sex"] == "") & (frame["smoker"] == "")
    assert 0.02 < all_tab.mean() < 0.09
    visits = frame.groupby("patient_id")["outcome"].agg(["size", "nunique"])
    assert visits["size"].max() == 2
    assert 0.08 < (visits["size"] == 2).mean() < 0.22
    assert (visits["nunique"] == 1).all()  # repeat visits share the hidden state


def test_images_are_64px_grayscale_png(demo):
    csv, frame = demo
    paths = [p for p in frame["image_file"] if p]
    assert len(set(paths)) == len(paths)
    for rel in paths:
        with Image.open(csv.parent / rel) as img:
            assert (img.format, img.mode, img.size) == ("PNG", "L", (64, 64))
    assert len(list((csv.parent / "images").iterdir())) == len(paths)


def test_generate_frame_is_deterministic():
    frame_a, images_a = generate_frame(150, 3, 64)
    frame_b, images_b = generate_frame(150, 3, 64)
    frame_c, images_c = generate_frame(150, 4, 64)
    pd.testing.assert_frame_equal(frame_a, frame_b)
    assert images_a.keys() == images_b.keys()
    assert all(np.array_equal(images_a[k], images_b[k]) for k in images_a)
    assert all(v.dtype == np.uint8 and v.shape == (64, 64) for v in images_a.values())
    assert not frame_a["note"].equals(frame_c["note"])
    shared = images_a.keys() & images_c.keys()
    assert not all(np.array_equal(images_a[k], images_c[k]) for k in shared)


def test_files_are_byte_identical(tmp_path):
    first = make_synthetic_dataset(tmp_path / "a", rows=80, seed=5, image_size=32)
    second = make_synthetic_dataset(tmp_path / "b", rows=80, seed=5, image_size=32)
    names = sorted(p.relative_to(first.parent) for p in first.parent.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(second.parent) for p in second.parent.rglob("*")
                           if p.is_file())
    for name in names:
        assert (first.parent / name).read_bytes() == (second.parent / name).read_bytes()


def test_idempotent_then_regenerates_on_new_parameters(tmp_path):
    root = tmp_path / "demo"
    csv = make_synthetic_dataset(root, rows=60, seed=1)
    stamp = csv.stat().st_mtime_ns
    assert make_synthetic_dataset(root, rows=60, seed=1) == csv
    assert csv.stat().st_mtime_ns == stamp
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest == {"generator": "demo", "version": synthetic.VERSION, "rows": 60, "seed": 1,
                        "image_size": 64}
    make_synthetic_dataset(root, rows=70, seed=1)
    assert len(pd.read_csv(csv)) == 70
    assert json.loads((root / "manifest.json").read_text())["rows"] == 70
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]  # no temp leftovers


def test_failed_run_leaves_nothing_that_looks_complete(tmp_path, monkeypatch):
    def crash(directory, *args):
        (directory / "demo.csv").write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(synthetic, "_write", crash)
    with pytest.raises(KeyboardInterrupt):
        make_synthetic_dataset(tmp_path / "demo", rows=20)
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite_foreign_directory(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        make_synthetic_dataset(tmp_path / "mine", rows=20)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def _mark_negation(note):
    # Classic NegEx-style scoping: words after "no"/"not" up to the clause end get a prefix.
    words = []
    for clause in re.split(r"[.;]", note.lower()):
        negated = False
        for word in re.findall(r"[a-z0-9-]+", clause):
            words.append("NOT_" + word if negated else word)
            negated = negated or word in ("no", "not")
    return " ".join(words)


def _probe_features(csv, frame):
    pixels = np.zeros((len(frame), 256))
    for i, rel in enumerate(frame["image_file"]):
        if rel:
            with Image.open(csv.parent / rel) as img:
                array = np.asarray(img, dtype=float) / 255.0
            pixels[i] = array.reshape(16, 4, 16, 4).mean(axis=(1, 3)).ravel()
    seen = frame["image_file"] != ""
    pixels[~seen] = pixels[seen].mean(axis=0)
    numeric = frame[NUMERIC].assign(crp=np.log1p(frame["crp"]))
    tabular = np.hstack([numeric.fillna(numeric.median()), numeric.isna(),
                         pd.get_dummies(frame[["sex", "smoker"]])]).astype(float)
    notes = np.array([_mark_negation(note) for note in frame["note"]])
    return {"image": pixels, "text": notes, "tabular": tabular}


def _fold_block(name, train, test):
    if name == "text":
        vec = CountVectorizer(ngram_range=(1, 2), min_df=3, binary=True, lowercase=False,
                              token_pattern=r"\S+")
        return vec.fit_transform(train).toarray(), vec.transform(test).toarray()
    # Images share one scale so background pixels are not inflated to match the lungs.
    mean = train.mean(axis=0)
    std = train.std(axis=0) if name == "tabular" else train.std()
    std = np.where(std > 0, std, 1.0)
    return (train - mean) / std, (test - mean) / std


def _cv_auroc(blocks, names, y, groups):
    scores = np.zeros(len(y))
    for tr, te in GroupKFold(n_splits=5).split(y, y, groups):
        parts = [_fold_block(n, blocks[n][tr], blocks[n][te]) for n in names]
        model = LogisticRegression(C=0.05, max_iter=3000)
        model.fit(np.hstack([p[0] for p in parts]), y[tr])
        scores[te] = model.decision_function(np.hstack([p[1] for p in parts]))
    return roc_auc_score(y, scores)


def test_signal_needs_all_three_modalities(demo):
    csv, frame = demo
    blocks = _probe_features(csv, frame)
    y = (frame["outcome"] == "severe").to_numpy(int)
    groups = frame["patient_id"].to_numpy()
    single = {n: _cv_auroc(blocks, [n], y, groups) for n in blocks}
    fused = _cv_auroc(blocks, list(blocks), y, groups)
    print("probe AUROC", single, "fused", fused)
    for name, auc in single.items():
        assert 0.6 < auc < 0.85, (name, auc)
    assert fused >= 0.88
    assert fused >= max(single.values()) + 0.08
