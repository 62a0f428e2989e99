"""`cross_validate`: stratified (grouped) K-fold folds, per-fold runs, mean ± sd."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import keras_multimodal as kmm
from keras_multimodal.cli import main
from keras_multimodal.data.table import load_table
from keras_multimodal.errors import DataError
from keras_multimodal.training.cross_validation import fold_splits
from keras_multimodal.training.folds import apply_split


def _check_folds(splits, data, grouped):
    row_ids = data.frame["row_id"].to_numpy()
    tests = [set(s.index[s.to_numpy() == "test"]) for s in splits]
    assert sum(len(t) for t in tests) == len(row_ids)  # disjoint ...
    assert set().union(*tests) == set(row_ids)  # ... and covering every row
    labels = np.asarray(data.labels).astype(int)
    for split in splits:
        assert list(split.index) == list(row_ids)
        assert set(split) == {"train", "val", "test"}
        # Stratified: each fold's positive rate is near the whole table's.
        assert abs(labels[split.to_numpy() == "test"].mean() - labels.mean()) < 0.15
        if grouped:
            owner = pd.Series(split.to_numpy()).groupby(data.groups.to_numpy()).nunique()
            assert (owner == 1).all()  # every group lies in one of train / val / test


def test_grouped_folds_are_disjoint_cover_all_rows_and_keep_groups_apart(make_demo_spec):
    spec = make_demo_spec()
    assert spec.split.kind == "group_by"
    data = load_table(spec)
    splits = fold_splits(spec, 4)
    assert len(splits) == 4
    _check_folds(splits, data, grouped=True)
    assert data.groups.nunique() < len(data.frame)  # the check above is not vacuous


def test_ungrouped_folds_are_stratified_and_val_takes_the_val_fraction(make_demo_spec):
    spec = make_demo_spec(split__group_by=None, split__val=0.25)
    data = load_table(spec)
    splits = fold_splits(spec, 5)
    _check_folds(splits, data, grouped=False)
    labels = np.asarray(data.labels).astype(int)
    counts = [np.bincount(labels[s.to_numpy() == "test"], minlength=2) for s in splits]
    assert np.ptp(counts, axis=0).max() <= 1  # StratifiedKFold: class counts differ by at most 1
    for split in splits:
        rest = (split != "test").sum()
        assert (split == "val").sum() == pytest.approx(0.25 * rest, abs=2)


def test_apply_split_rejects_rows_without_a_split(make_demo_spec):
    spec = make_demo_spec()
    data = load_table(spec)
    split = fold_splits(spec, 3)[0].iloc[1:]
    with pytest.raises(DataError, match="no split"):
        apply_split(data, split, spec.data.table_path)


def test_too_few_folds_is_a_user_error(make_demo_spec):
    with pytest.raises(DataError, match="at least 2 folds"):
        fold_splits(make_demo_spec(), 1)
    assert main(["cv", "--folds", "1", "--set", f"data.root={make_demo_spec().data.root}", "--set", "data.generate.rows=240", "--quiet"]) == 2


@pytest.fixture(scope="module")
def cv_result(make_demo_spec, tmp_path_factory):
    spec = make_demo_spec(training__epochs=1, training__baselines=False).with_inputs(["note", "labs"])
    out = tmp_path_factory.mktemp("cv")
    return spec, out, kmm.cross_validate(spec, folds=2, out=out, progress=False)


def test_each_fold_trains_on_its_split(cv_result):
    spec, out, table = cv_result
    assert list(table["fold"]) == [0, 1]
    folds = pd.read_csv(out / "folds.csv")
    assert sorted(folds["test_fold"].unique()) == [0, 1]
    for fold, run_dir in zip(table["fold"], table["run_dir"]):
        predictions = pd.read_csv(Path(run_dir) / "predictions.csv")
        test_rows = set(predictions.loc[predictions["split"] == "test", "row_id"])
        assert test_rows == set(folds.loc[folds["test_fold"] == fold, "row_id"])
        assert table.loc[fold, "n_test"] == len(test_rows)
        assert kmm.Run(run_dir).metrics["test"]["auroc"] == table.loc[fold, "auroc"]


def test_cv_markdown_reports_mean_and_sd_of_the_fold_table(cv_result):
    _, out, table = cv_result
    saved = pd.read_csv(out / "cv.csv")
    assert list(saved["auroc"]) == pytest.approx(list(table["auroc"]))
    markdown = (out / "cv.md").read_text()
    for metric in ("auroc", "auprc", "f1_macro", "accuracy", "brier"):
        values = table[metric].to_numpy(float)
        assert f"| {metric} | {values.mean():.4f} ± {values.std(ddof=1):.4f} |" in markdown
    assert markdown.count("\n| 0 |") == 1 and markdown.count("\n| 1 |") == 1


def test_rerun_skips_finished_folds(cv_result):
    spec, out, table = cv_result
    marks = {d: sorted((p.name, p.stat().st_mtime_ns) for p in Path(d).iterdir()) for d in table["run_dir"]}
    again = kmm.cross_validate(spec, folds=2, out=out, progress=False)
    pd.testing.assert_frame_equal(again, table)
    for d, files in marks.items():
        assert sorted((p.name, p.stat().st_mtime_ns) for p in Path(d).iterdir()) == files


def test_other_folds_in_the_same_folder_are_refused(cv_result):
    spec, out, _ = cv_result
    with pytest.raises(kmm.KMMError, match="other folds"):
        kmm.cross_validate(spec, folds=3, out=out, progress=False)


@pytest.mark.slow
def test_petfinder_cv_reports_folds_and_mean_sd(tmp_path, capsys):
    import time

    root = Path(__file__).resolve().parents[2] / "../shared/data/petfinder_mini_desc"
    if not root.exists():
        pytest.skip("petfinder_mini_desc is not in ../shared/data")
    start = time.time()
    code = main(["cv", "data_specs/petfinder.yaml", "--data-root", str(root), "--folds", "5", "--epochs", "2",
                 "--set", "data.limit=2000", "--set", "training.baselines=false", "--out", str(tmp_path), "--quiet"])
    print(f"kmm cv petfinder --folds 5: {time.time() - start:.0f} s")
    assert code == 0
    table = pd.read_csv(tmp_path / "cv.csv")
    assert list(table["fold"]) == [0, 1, 2, 3, 4]
    assert table["n_test"].sum() == len(pd.read_csv(tmp_path / "folds.csv"))
    assert "| auroc |" in (tmp_path / "cv.md").read_text()
    assert table["auroc"].mean() > 0.6
