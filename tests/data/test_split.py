"""assign_splits: group_by, hash, column and stratified random splits, and their checks."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from keras_multimodal.data.split import assign_splits
from keras_multimodal.data.table_data import TableData
from keras_multimodal.errors import DataError
from keras_multimodal.specs import SplitSpec
from keras_multimodal.validation import format_summary
from keras_multimodal.validation import validate

PATH = "/data/table.csv"


def make_data(labels, groups=None, task="binary", classes=None, row_ids=None):
    labels = np.asarray(labels)
    n = len(labels)
    if classes is None:
        classes = ["neg", "pos"] if task == "binary" else [str(c) for c in range(int(labels.max()) + 1)]
    frame = pd.DataFrame({"row_id": row_ids if row_ids is not None else [f"r{i}" for i in range(n)]})
    return TableData(
        frame=frame,
        labels=labels.astype("float32" if task == "binary" else "int32") if task in ("binary", "multiclass") else labels,
        classes=classes,
        task=task,
        groups=None if groups is None else pd.Series([str(g) for g in groups]),
    )


def split_of(data):
    return data.frame["split"].to_numpy()


def fractions(splits):
    return {name: float(np.mean(splits == name)) for name in ("train", "val", "test")}


def grouped_data(seed=0, n_groups=300):
    """Groups of 1..5 rows; a group's rows share a label; ~30% positive."""
    rng = np.random.default_rng(seed)
    labels, groups = [], []
    for g in range(n_groups):
        size = int(rng.integers(1, 6))
        label = float(rng.random() < 0.3)
        labels += [label] * size
        groups += [f"g{g}"] * size
    return make_data(labels, groups)


# -- group_by ---------------------------------------------------------------------------------


def test_group_by_keeps_each_group_in_one_split():
    data = assign_splits(grouped_data(), SplitSpec(kind="group_by", column="g", test=0.2, val=0.1, seed=7), PATH)
    per_group = pd.DataFrame({"group": data.groups, "split": split_of(data)}).groupby("group")["split"].nunique()
    assert (per_group == 1).all()


def test_group_by_fractions_and_strata():
    data = assign_splits(grouped_data(), SplitSpec(kind="group_by", column="g", test=0.2, val=0.1, seed=7), PATH)
    splits = split_of(data)
    share = fractions(splits)
    assert share["test"] == pytest.approx(0.2, abs=0.04)
    assert share["val"] == pytest.approx(0.1, abs=0.04)
    overall = data.labels.mean()
    for name in ("train", "val", "test"):
        assert data.labels[splits == name].mean() == pytest.approx(overall, abs=0.06), name


def test_group_by_is_deterministic_per_seed():
    spec = SplitSpec(kind="group_by", column="g", test=0.2, val=0.1, seed=3)
    first = split_of(assign_splits(grouped_data(), spec, PATH))
    second = split_of(assign_splits(grouped_data(), spec, PATH))
    assert (first == second).all()
    other = split_of(assign_splits(grouped_data(), SplitSpec(kind="group_by", column="g", test=0.2, val=0.1, seed=4), PATH))
    assert (first != other).any()


def test_group_by_does_not_depend_on_row_order():
    spec = SplitSpec(kind="group_by", column="g", test=0.2, val=0.1, seed=3)
    data = grouped_data()
    order = np.random.default_rng(1).permutation(len(data.frame))
    shuffled = make_data(data.labels[order], data.groups.to_numpy()[order])
    first = dict(zip(data.groups, split_of(assign_splits(data, spec, PATH))))
    second = dict(zip(shuffled.groups, split_of(assign_splits(shuffled, spec, PATH))))
    assert first == second


def test_group_by_regression_and_multilabel():
    rng = np.random.default_rng(0)
    groups = [f"g{i // 3}" for i in range(600)]
    for task, labels in (("regression", rng.normal(size=600).astype("float32")), ("multilabel", (rng.random((600, 2)) < 0.5).astype("float32"))):
        data = assign_splits(make_data(labels, groups, task=task, classes=[]), SplitSpec(kind="group_by", column="g", test=0.2, val=0.2, seed=1), PATH)
        splits = split_of(data)
        assert fractions(splits)["test"] == pytest.approx(0.2, abs=0.03)
        assert pd.DataFrame({"g": groups, "s": splits}).groupby("g")["s"].nunique().max() == 1
        assert data.warnings == []


def test_group_by_end_to_end(tri_modal):
    data = tri_modal.split_table({"split": {"group_by": "patient", "test": 0.2, "val": 0.2, "seed": 5}})
    per_patient = pd.DataFrame({"p": data.groups, "s": data.frame["split"]}).groupby("p")["s"].nunique()
    assert len(per_patient) == 20 and (per_patient == 1).all()
    assert set(data.frame["split"]) == {"train", "val", "test"}


# -- hash -------------------------------------------------------------------------------------------


def expected_hash_split(value, test, val):
    u = int(hashlib.md5(str(value).encode()).hexdigest(), 16) % 10_000 / 10_000
    return "test" if u < test else "val" if u < test + val else "train"


def test_hash_split_is_the_md5_of_the_value():
    keys = [f"patient-{i}" for i in range(500)]
    data = assign_splits(make_data(np.arange(500) % 2, keys), SplitSpec(kind="hash", column="k", test=0.2, val=0.1), PATH)
    assert list(split_of(data)) == [expected_hash_split(k, 0.2, 0.1) for k in keys]


def test_hash_split_is_stable_across_rows_and_tables():
    spec = SplitSpec(kind="hash", column="k", test=0.25, val=0.15)
    keys = [f"k{i % 300}" for i in range(900)]  # each key on three rows
    data = assign_splits(make_data(np.arange(900) % 2, keys), spec, PATH)
    frame = pd.DataFrame({"k": keys, "s": split_of(data)})
    assert frame.groupby("k")["s"].nunique().max() == 1
    reversed_keys = keys[::-1][:450]  # another table: other rows, other order
    other = assign_splits(make_data(np.arange(450) % 2, reversed_keys), spec, PATH)
    mapping = dict(zip(frame["k"], frame["s"]))
    assert all(mapping[k] == s for k, s in zip(reversed_keys, split_of(other)))


def test_hash_split_roughly_matches_fractions():
    keys = [f"id{i}" for i in range(4000)]
    data = assign_splits(make_data(np.arange(4000) % 2, keys), SplitSpec(kind="hash", column="k", test=0.2, val=0.1), PATH)
    share = fractions(split_of(data))
    assert share["test"] == pytest.approx(0.2, abs=0.03)
    assert share["val"] == pytest.approx(0.1, abs=0.03)


def test_hash_ignores_the_seed():
    keys = [f"id{i}" for i in range(200)]
    a = split_of(assign_splits(make_data(np.arange(200) % 2, keys), SplitSpec(kind="hash", column="k", seed=1), PATH))
    b = split_of(assign_splits(make_data(np.arange(200) % 2, keys), SplitSpec(kind="hash", column="k", seed=2), PATH))
    assert (a == b).all()


def test_hash_of_normalised_values(tri_modal):
    # '7' and '7.0' in the table are one key
    tri_modal.rows = [dict(r, key=str(i % 20) + (".0" if i >= 20 else "")) for i, r in enumerate(tri_modal.rows)]
    tri_modal.write_table()
    data = tri_modal.split_table({"split": {"hash": "key", "test": 0.3, "val": 0.3}})
    frame = pd.DataFrame({"k": data.groups, "s": data.frame["split"]})
    assert frame["k"].nunique() == 20
    assert frame.groupby("k")["s"].nunique().max() == 1
    assert list(data.frame["split"]) == [expected_hash_split(str(i % 20), 0.3, 0.3) for i in range(40)]


# -- column ----------------------------------------------------------------------------------------


def test_column_split_uses_the_values(tri_modal):
    data = tri_modal.split_table({"split": {"column": "fold"}})
    assert list(data.frame["split"]) == [r["fold"] for r in tri_modal.rows]
    assert fractions(split_of(data)) == {"train": 0.8, "val": 0.1, "test": 0.1}


@pytest.mark.parametrize(
    "value, expected",
    [("train", "train"), ("Training", "train"), ("TRAIN", "train"), ("val", "val"), ("valid", "val"), ("Validation", "val"), ("test", "test"), ("Test", "test")],
)
def test_column_split_aliases(value, expected):
    values = ["train", "train", "val", "test", value, value.upper()]
    data = assign_splits(make_data([0, 1, 0, 1, 0, 1], values), SplitSpec(kind="column", column="fold"), PATH)
    assert list(split_of(data)[4:]) == [expected, expected]


@pytest.mark.parametrize("value", ["holdout", "dev", "", "tests", "1"])
def test_column_split_refuses_other_values(value):
    values = ["train", "val", "test", "train", value, "train"]
    data = make_data([0, 1, 0, 1, 0, 1], values, row_ids=["a", "b", "c", "d", "e", "f"])
    with pytest.raises(DataError) as caught:
        assign_splits(data, SplitSpec(kind="column", column="fold"), PATH)
    error = caught.value
    assert (error.row, error.column, error.file) == ("e", "fold", PATH)
    assert str(error) == f"{PATH}, row e, column 'fold': split value {value!r} is not train, val or test"


def test_column_split_values_are_stripped_and_case_folded(tri_modal):
    tri_modal.rows[2]["fold"] = "  Validation "
    tri_modal.rows[3]["fold"] = "TEST"
    tri_modal.write_table()
    data = tri_modal.split_table({"split": {"column": "fold"}})
    assert list(data.frame["split"][:4]) == ["test", "val", "val", "test"]


def test_column_split_bad_value_end_to_end(tri_modal):
    tri_modal.rows[13]["fold"] = "holdout"
    tri_modal.write_table()
    with pytest.raises(DataError) as caught:
        tri_modal.split_table({"split": {"column": "fold"}})
    assert (caught.value.row, caught.value.column) == ("r013", "fold")
    assert "split value 'holdout' is not train, val or test" in str(caught.value)


# -- random ----------------------------------------------------------------------------------------


def test_random_split_is_stratified_with_exact_counts():
    labels = np.array([1] * 50 + [0] * 100)
    data = assign_splits(make_data(labels), SplitSpec(kind="random", test=0.2, val=0.1, seed=0), PATH)
    splits = split_of(data)
    counts = {(s, c): int(np.sum((splits == s) & (labels == c))) for s in ("train", "val", "test") for c in (0, 1)}
    assert counts == {("test", 1): 10, ("test", 0): 20, ("val", 1): 5, ("val", 0): 10, ("train", 1): 35, ("train", 0): 70}


def test_random_split_multiclass_strata():
    labels = np.repeat([0, 1, 2], [60, 30, 10])
    data = assign_splits(make_data(labels, task="multiclass"), SplitSpec(kind="random", test=0.2, val=0.2, seed=0), PATH)
    splits = split_of(data)
    assert [int(np.sum((splits == "test") & (labels == c))) for c in (0, 1, 2)] == [12, 6, 2]


def test_random_split_is_deterministic_per_seed():
    labels = np.arange(200) % 2
    run = lambda seed: split_of(assign_splits(make_data(labels), SplitSpec(kind="random", test=0.2, val=0.1, seed=seed), PATH))  # noqa: E731
    assert (run(1) == run(1)).all()
    assert (run(1) != run(2)).any()


def test_random_split_end_to_end(tri_modal):
    data = tri_modal.split_table()  # 14 severe, 26 mild; test 0.2, val 0.2
    splits = split_of(data)
    severe = data.labels == 1
    assert int(np.sum(splits[severe] == "test")) == 3 and int(np.sum(splits[~severe] == "test")) == 5
    again = tri_modal.split_table()
    assert (split_of(again) == splits).all()


# -- checks -----------------------------------------------------------------------------------------


def test_empty_split_is_an_error():
    data = make_data([0, 1] * 5, ["train"] * 8 + ["test"] * 2)
    with pytest.raises(DataError) as caught:
        assign_splits(data, SplitSpec(kind="column", column="fold"), PATH)
    assert str(caught.value).startswith(f"{PATH}: the val split is empty (")
    assert "use more data or other fractions" in str(caught.value)


def test_val_zero_gives_an_empty_split_error():
    with pytest.raises(DataError) as caught:
        assign_splits(make_data(np.arange(100) % 2), SplitSpec(kind="random", test=0.2, val=0.0), PATH)
    assert "the val split is empty" in str(caught.value)


def test_tiny_table_has_an_empty_split(make_tri_modal):
    small = make_tri_modal("small", n=3)
    with pytest.raises(DataError) as caught:
        small.split_table({"target.positive": ["mild"]})
    assert "split is empty" in str(caught.value)


def test_class_only_in_val_or_test_is_an_error():
    labels = [0, 0, 0, 0, 1, 0]
    folds = ["train", "train", "val", "test", "test", "train"]
    with pytest.raises(DataError) as caught:
        assign_splits(make_data(labels, folds), SplitSpec(kind="column", column="fold"), PATH)
    assert str(caught.value) == f"{PATH}: class 'pos' is in val/test but never in train"


def test_class_without_any_rows_is_an_error():
    labels = [0, 1, 0, 1, 0, 1]
    folds = ["train", "train", "val", "val", "test", "test"]
    data = make_data(labels, folds, task="multiclass", classes=["a", "b", "never"])
    with pytest.raises(DataError) as caught:
        assign_splits(data, SplitSpec(kind="column", column="fold"), PATH)
    assert "class 'never' has no rows in train" in str(caught.value)


def test_class_only_in_train_is_a_warning():
    labels = [0, 1, 0, 0, 0, 1]
    folds = ["train", "train", "val", "test", "train", "train"]
    data = assign_splits(make_data(labels, folds), SplitSpec(kind="column", column="fold"), PATH)
    assert data.warnings == ["class 'pos' is in train but absent from val and test"]


def test_warning_reaches_the_validate_summary(tri_modal):
    for i, row in enumerate(tri_modal.rows):
        row["fold"] = "train" if row["outcome"] == "severe" or i % 3 == 1 else ("val" if i % 2 else "test")
    tri_modal.write_table()
    spec = tri_modal.spec({"split": {"column": "fold"}})
    summary = validate(spec)
    assert summary["warnings"] == ["class 'severe' is in train but absent from val and test"]
    assert "warning: class 'severe' is in train but absent from val and test" in format_summary(summary)


def test_regression_and_multilabel_skip_class_checks():
    folds = ["train", "val", "test"] * 4
    data = assign_splits(make_data(np.arange(12, dtype="float32"), folds, task="regression", classes=[]), SplitSpec(kind="column", column="fold"), PATH)
    assert data.warnings == []
