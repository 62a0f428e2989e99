import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)
from sklearn.preprocessing import label_binarize

from keras_multimodal.evaluation import bootstrap_ci, choose_threshold, compute_metrics

BOOT = {"n_boot": 200, "seed": 0}


def _splits(rng, n):
    return rng.choice(["train", "val", "test"], size=n, p=[0.4, 0.3, 0.3])


def binary_frame(n=600, seed=0, signal=0.3, decimals=None):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = np.clip(y * signal + rng.random(n) * (1 - signal), 0, 1)
    if decimals is not None:  # ties exercise the tie handling of AUROC/AP
        score = np.round(score, decimals)
    return pd.DataFrame({"row_id": [f"r{i}" for i in range(n)], "split": _splits(rng, n),
                         "y_true": y, "score": score})


def multiclass_frame(classes, n=600, seed=1):
    rng = np.random.default_rng(seed)
    k = len(classes)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    df = pd.DataFrame({"row_id": [f"r{i}" for i in range(n)], "split": _splits(rng, n),
                       "y_true": np.asarray(classes)[y]})
    for j, c in enumerate(classes):
        df[f"score_{c}"] = probs[:, j]
    return df


def multilabel_frame(labels, n=600, seed=2):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"row_id": [f"r{i}" for i in range(n)], "split": _splits(rng, n)})
    for lab in labels:
        df[f"y_true_{lab}"] = rng.integers(0, 2, n)
    for lab in labels:
        df[f"score_{lab}"] = np.clip(0.35 * df[f"y_true_{lab}"] + 0.65 * rng.random(n), 0, 1)
    return df


def _all_plain(obj):
    if isinstance(obj, dict):
        return all(isinstance(k, str) and _all_plain(v) for k, v in obj.items())
    if isinstance(obj, list):
        return all(_all_plain(v) for v in obj)
    return obj is None or type(obj) in (int, float)


@pytest.mark.parametrize("decimals", [None, 1])
def test_binary_matches_sklearn(decimals):
    df = binary_frame(decimals=decimals)
    metrics, out = compute_metrics(df, "binary", ["neg", "pos"], **BOOT)
    t = metrics["threshold"]
    assert list(out.columns) == ["row_id", "split", "y_true", "score", "y_pred"]
    np.testing.assert_array_equal(out["y_pred"], (out["score"] >= t).astype(int))
    for split in ("val", "test"):
        sub = out[out["split"] == split]
        m, y, s, p = metrics[split], sub["y_true"], sub["score"], sub["y_pred"]
        assert m["n"] == len(sub)
        assert m["auroc"] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
        assert m["auprc"] == pytest.approx(average_precision_score(y, s), abs=1e-12)
        assert m["f1_macro"] == pytest.approx(f1_score(y, p, average="macro"))
        assert m["accuracy"] == pytest.approx(accuracy_score(y, p))
        assert m["precision_macro"] == pytest.approx(precision_score(y, p, average="macro"))
        assert m["recall_macro"] == pytest.approx(recall_score(y, p, average="macro"))
        assert m["brier"] == pytest.approx(np.mean((s - y) ** 2))
        assert m["per_class"]["pos"]["f1"] == pytest.approx(f1_score(y, p))
        assert m["per_class"]["neg"]["support"] == int((y == 0).sum())


def test_threshold_maximises_val_f1():
    df = binary_frame(n=200, seed=3)
    val = df[df["split"] == "val"]
    t = choose_threshold(val["y_true"], val["score"])
    best = max(f1_score(val["y_true"], val["score"] >= c) for c in val["score"].unique())
    assert f1_score(val["y_true"], val["score"] >= t) == pytest.approx(best)


def test_threshold_uses_val_only():
    df = binary_frame(seed=4)
    base, _ = compute_metrics(df, "binary", None, **BOOT)
    changed = df.copy()
    test = changed["split"] == "test"
    changed.loc[test, "score"] = np.random.default_rng(9).random(int(test.sum()))
    again, _ = compute_metrics(changed, "binary", None, **BOOT)
    assert again["threshold"] == base["threshold"]
    assert again["test"]["auroc"] != base["test"]["auroc"]
    moved = df.copy()
    val = moved["split"] == "val"
    moved.loc[val, "score"] = moved.loc[val, "score"] ** 3
    assert compute_metrics(moved, "binary", None, **BOOT)[0]["threshold"] != base["threshold"]


def test_threshold_defaults_without_val():
    df = binary_frame()
    df = df[df["split"] != "val"]
    metrics, out = compute_metrics(df, "binary", None, **BOOT)
    assert metrics["threshold"] == 0.5
    assert metrics["val"]["n"] == 0 and metrics["val"]["auroc"] is None
    np.testing.assert_array_equal(out["y_pred"], (out["score"] >= 0.5).astype(int))


def test_multiclass_matches_sklearn():
    classes = ["bird", "cat", "dog"]  # sklearn's labels= must be sorted
    metrics, out = compute_metrics(multiclass_frame(classes), "multiclass", classes, **BOOT)
    assert metrics["threshold"] is None
    for split in ("val", "test"):
        sub = out[out["split"] == split]
        scores = sub[[f"score_{c}" for c in classes]].to_numpy()
        y, p = sub["y_true"], sub["y_pred"]
        np.testing.assert_array_equal(p, np.asarray(classes)[scores.argmax(axis=1)])
        m = metrics[split]
        assert m["auroc"] == pytest.approx(
            roc_auc_score(y, scores, multi_class="ovr", labels=classes, average="macro"))
        assert m["auprc"] == pytest.approx(
            average_precision_score(label_binarize(y, classes=classes), scores, average="macro"))
        assert m["f1_macro"] == pytest.approx(f1_score(y, p, average="macro"))
        assert m["accuracy"] == pytest.approx(accuracy_score(y, p))
        assert set(m["per_class"]) == set(classes)
        assert "brier" not in m


def test_multiclass_split_missing_a_class_averages_defined_classes():
    classes = ["a", "b", "c"]
    df = multiclass_frame(classes, seed=5)
    df = df[~((df["split"] == "test") & (df["y_true"] == "c"))]
    metrics, out = compute_metrics(df, "multiclass", classes, **BOOT)
    sub = out[out["split"] == "test"]
    expected = np.mean([roc_auc_score(sub["y_true"] == c, sub[f"score_{c}"]) for c in "ab"])
    assert metrics["test"]["auroc"] == pytest.approx(expected)
    assert None not in metrics["test"]["auroc_ci"]


def test_multilabel_matches_sklearn():
    labels = ["edema", "effusion", "nodule"]
    metrics, out = compute_metrics(multilabel_frame(labels), "multilabel", labels, **BOOT)
    assert metrics["threshold"] is None
    assert list(out.columns[-3:]) == [f"y_pred_{lab}" for lab in labels]
    for split in ("val", "test"):
        sub = out[out["split"] == split]
        Y = sub[[f"y_true_{lab}" for lab in labels]].to_numpy()
        S = sub[[f"score_{lab}" for lab in labels]].to_numpy()
        P = sub[[f"y_pred_{lab}" for lab in labels]].to_numpy()
        np.testing.assert_array_equal(P, (S >= 0.5).astype(int))
        m = metrics[split]
        assert m["auroc"] == pytest.approx(roc_auc_score(Y, S, average="macro"))
        assert m["auprc"] == pytest.approx(average_precision_score(Y, S, average="macro"))
        assert m["f1_macro"] == pytest.approx(f1_score(Y, P, average="macro"))
        assert m["accuracy"] == pytest.approx(accuracy_score(Y, P))
        assert m["per_class"]["nodule"]["support"] == int(Y[:, 2].sum())


def test_regression_matches_sklearn():
    rng = np.random.default_rng(6)
    n = 400
    y = rng.normal(size=n)
    df = pd.DataFrame({"row_id": [str(i) for i in range(n)], "split": _splits(rng, n),
                       "y_true": y, "y_pred": y + rng.normal(scale=0.5, size=n)})
    metrics, out = compute_metrics(df, "regression", None, **BOOT)
    assert metrics["threshold"] is None
    for split in ("val", "test"):
        sub = out[out["split"] == split]
        m = metrics[split]
        assert m["mae"] == pytest.approx(mean_absolute_error(sub["y_true"], sub["y_pred"]))
        assert m["rmse"] == pytest.approx(np.sqrt(mean_squared_error(sub["y_true"], sub["y_pred"])))
        assert m["r2"] == pytest.approx(r2_score(sub["y_true"], sub["y_pred"]))
        assert m["mae_ci"][0] <= m["mae"] <= m["mae_ci"][1]
    json.dumps(metrics)


def test_ci_contains_estimate_and_narrows_with_more_data():
    widths = []
    for n in (200, 4000):
        metrics, _ = compute_metrics(binary_frame(n=n, seed=7), "binary", None, **BOOT)
        m = metrics["test"]
        for name in ("auroc", "auprc"):
            lo, hi = m[f"{name}_ci"]
            assert lo <= m[name] <= hi
        widths.append(m["auroc_ci"][1] - m["auroc_ci"][0])
    assert widths[1] < widths[0] / 2


def test_bootstrap_is_seeded():
    df = binary_frame(seed=8)
    a, _ = compute_metrics(df, "binary", None, n_boot=200, seed=1)
    b, _ = compute_metrics(df, "binary", None, n_boot=200, seed=1)
    c, _ = compute_metrics(df, "binary", None, n_boot=200, seed=2)
    assert a == b
    assert a["test"]["auroc_ci"] != c["test"]["auroc_ci"]


def test_grouped_bootstrap_is_wider_for_large_groups():
    # 20 patients x 30 identical rows: only 20 independent units of evidence.
    rng = np.random.default_rng(10)
    y_group = np.r_[np.zeros(10), np.ones(10)].astype(int)
    s_group = np.clip(0.2 * y_group + 0.8 * rng.random(20), 0, 1)
    y, s = np.repeat(y_group, 30), np.repeat(s_group, 30)
    groups = np.repeat(np.arange(20), 30)
    def gap(y, s):  # cheap stand-in for AUROC; the compute_metrics check below uses AUROC
        return s[y == 1].mean() - s[y == 0].mean()

    row = bootstrap_ci(gap, y, s, n_boot=200, seed=0)
    grouped = bootstrap_ci(gap, y, s, n_boot=200, seed=0, groups=groups)
    assert (grouped[1] - grouped[0]) > 2 * (row[1] - row[0])

    df = pd.DataFrame({"row_id": [str(i) for i in range(600)], "split": "test",
                       "y_true": y, "score": s}, index=np.arange(600) + 1000)
    by_patient = pd.Series(groups, index=df.index).sample(frac=1, random_state=0)
    with_groups, _ = compute_metrics(df, "binary", None, groups=by_patient, **BOOT)
    without, _ = compute_metrics(df, "binary", None, **BOOT)
    ci_g, ci_r = with_groups["test"]["auroc_ci"], without["test"]["auroc_ci"]
    assert (ci_g[1] - ci_g[0]) > 2 * (ci_r[1] - ci_r[0])


def test_single_class_split_gives_none():
    df = binary_frame(seed=11)
    df.loc[df["split"] == "test", "y_true"] = 1
    metrics, _ = compute_metrics(df, "binary", None, **BOOT)
    m = metrics["test"]
    assert m["auroc"] is None and m["auprc"] is None
    assert m["auroc_ci"] == [None, None] and m["auprc_ci"] == [None, None]
    assert m["accuracy"] is not None and m["n"] > 0
    assert metrics["val"]["auroc"] is not None
    json.dumps(metrics)


def test_bootstrap_skips_single_class_resamples():
    y = np.r_[1, np.zeros(9, dtype=int)]
    s = np.linspace(1, 0, 10)
    lo, hi = bootstrap_ci(roc_auc_score, y, s, n_boot=200, seed=0)
    assert lo == pytest.approx(1.0) and hi == pytest.approx(1.0)
    assert bootstrap_ci(roc_auc_score, np.zeros(5), np.ones(5), n_boot=50) == [None, None]


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_metrics_are_plain_json(task):
    labels = ["x", "y", "z"]
    df = {"binary": binary_frame, "multiclass": lambda: multiclass_frame(labels),
          "multilabel": lambda: multilabel_frame(labels)}[task]()
    metrics, _ = compute_metrics(df, task, None if task == "binary" else labels, **BOOT)
    assert set(metrics) == {"val", "test", "threshold"}
    assert _all_plain(metrics)
    assert json.loads(json.dumps(metrics)) == metrics


def test_given_y_pred_is_replaced_and_input_untouched():
    df = binary_frame(seed=12)
    df["y_pred"] = 7
    original = df.copy()
    _, out = compute_metrics(df, "binary", None, **BOOT)
    pd.testing.assert_frame_equal(df, original)
    assert set(out["y_pred"].unique()) <= {0, 1}


def test_bad_input_is_rejected():
    with pytest.raises(ValueError):
        compute_metrics(binary_frame(), "ranking", None)
    with pytest.raises(Exception, match="score"):
        compute_metrics(binary_frame().drop(columns="score"), "binary", None)
