"""data.streaming: spec checks, sharded reading, the one-pass statistics, the disk cache of decoded images."""

import shutil

import numpy as np
import pandas as pd
import pytest

import keras_multimodal as kmm
from keras_multimodal.errors import SpecError


@pytest.fixture(scope="module")
def shard_root(tmp_path_factory):
    """240 synthetic rows: one CSV, the same rows as 3 parquet shards and as 4 CSV shards."""
    from keras_multimodal.data.synthetic import make_synthetic_dataset

    root = tmp_path_factory.mktemp("stream") / "data"
    frame = pd.read_csv(make_synthetic_dataset(root, rows=240, seed=3, image_size=16), dtype=str, keep_default_na=False)
    frame["fold"] = ["test" if i % 5 == 0 else "val" if i % 5 == 1 else "train" for i in range(len(frame))]
    frame.to_csv(root / "whole.csv", index=False)
    (root / "shards").mkdir()
    (root / "csv").mkdir()
    for k in range(3):
        frame.iloc[k * 80 : (k + 1) * 80].to_csv(root / "tmp.csv", index=False)
        pd.read_csv(root / "tmp.csv").to_parquet(root / "shards" / f"part-{k}.parquet")
    for k in range(4):
        frame.iloc[k * 60 : (k + 1) * 60].to_csv(root / "csv" / f"part-{k}.csv", index=False)
    return root


def assert_same_state(expected, got):
    """Equal preprocessing states; means and standard deviations to rounding (merged per chunk)."""
    assert set(expected) == set(got)
    for name, entry in expected.items():
        assert set(entry) == set(got[name])
        for key, value in entry.items():
            if key in ("mean", "std"):
                np.testing.assert_allclose(got[name][key], value, rtol=1e-10)
            else:
                assert got[name][key] == value, (name, key)


def spec_for(root, table, streaming=True, **updates):
    settings = {
        "data__root": str(root),
        "data__table": table,
        "data__generate": None,
        "data__streaming": streaming,
        "split": {"column": "fold"},
        "inputs__xray__size": [16, 16],
        "training__epochs": 1,
        "training__batch_size": 32,
        "training__patience": 0,
        "training__baselines": False,
    }
    settings.update(updates)
    return kmm.load_spec(None, **settings)


@pytest.mark.parametrize(
    "updates, field",
    [
        ({"split": {"group_by": "patient_id"}}, "split"),
        ({"split": {"test": 0.2}}, "split"),
        ({"data__table": "shards", "data__streaming": False}, "data.table"),  # a folder needs streaming
        ({"data__table": "part-*.xlsx", "data__streaming": True}, "data.table"),
        ({"data__join": [{"table": "other.csv", "on": ["patient_id"]}]}, "data.join"),
        ({"data__streaming": "yes please"}, "data.streaming"),
    ],
)
def test_streaming_spec_errors_name_the_field(tmp_path, updates, field):
    settings = {"data__root": str(tmp_path), "data__table": "t.csv", "data__generate": None, "data__streaming": True,
                "split": {"hash": "patient_id"}}
    settings.update(updates)
    with pytest.raises(SpecError) as error:
        kmm.load_spec(None, **settings)
    assert error.value.field == field


def test_streaming_spec_accepts_folder_glob_and_hash_split(tmp_path):
    for table in ("shards", "shards/part-*.parquet", "t.csv.gz"):
        spec = kmm.load_spec(None, data__root=str(tmp_path), data__table=table, data__generate=None,
                             data__streaming=True, split={"hash": "patient_id"})
        assert spec.data.streaming and spec.split.kind == "hash"
    assert not kmm.load_spec(None, data__root=str(tmp_path), data__generate=None).data.streaming


def test_one_pass_statistics_equal_the_in_memory_fit(shard_root):
    """preprocessing.json from 40-row chunks of parquet shards == Preprocessor.fit on the whole table."""
    from keras_multimodal.data.streaming_stats import scan_table
    from keras_multimodal.training.data_setup import prepare_data

    whole = prepare_data(spec_for(shard_root, "whole.csv", streaming=False))
    streamed, data = scan_table(spec_for(shard_root, "shards"), chunk_rows=40)
    assert_same_state(whole.preprocessor.state, streamed.state)
    frame = whole.data.frame
    assert data.rows == {s: int((frame["split"] == s).sum()) for s in ("train", "val", "test")}
    labels = np.asarray(whole.data.labels).astype(int)
    assert data.class_counts["train"] == np.bincount(labels[frame["split"] == "train"], minlength=2).tolist()
    assert data.absent["note"]["val"] == int(((frame["note"] == "") & (frame["split"] == "val")).sum())


def test_csv_glob_multiclass_where_limit_and_hash_split_match_whole_table(shard_root):
    """Row ids, splits and labels of streamed CSV shards (chunks see different classes) == the whole-table load."""
    from keras_multimodal.data.streaming_stats import scan_table
    from keras_multimodal.training.data_setup import prepare_data

    updates = {
        "target": {"column": "smoker", "task": "multiclass"},
        "inputs": {"note": {"type": "text", "column": "note"}, "labs": {"type": "tabular", "numeric": ["age", "crp"], "categorical": ["sex"]}},
        "model": {"fusion": "concat"},
        "split": {"hash": "patient_id", "test": 0.25, "val": 0.25},
        "data__exclude": {"sex": ["F"]},
        "data__limit": 100,
    }
    whole = prepare_data(spec_for(shard_root, "whole.csv", streaming=False, **updates))
    _, data = scan_table(spec_for(shard_root, "csv/part-*.csv", **updates), chunk_rows=7)
    assert data.classes == whole.data.classes
    streamed = pd.concat([pd.DataFrame({"row_id": c.frame["row_id"], "split": c.frame["split"], "y": c.labels}) for c in data.chunks()])
    expected = pd.DataFrame({"row_id": whole.data.frame["row_id"], "split": whole.data.frame["split"], "y": whole.data.labels})
    pd.testing.assert_frame_equal(streamed.reset_index(drop=True), expected.reset_index(drop=True))
    val = pd.concat([c.frame for c in data.split("val").chunks()])
    assert set(val["split"]) == {"val"} and len(val) == data.rows["val"]


def test_strict_category_unseen_in_training_names_row_and_column(shard_root, tmp_path):
    """`inputs.<name>.strict` holds for streamed tables: the first row with an unseen category is reported."""
    from keras_multimodal.data.streaming_stats import scan_table
    from keras_multimodal.errors import DataError

    frame = pd.read_csv(shard_root / "whole.csv", dtype=str, keep_default_na=False)
    frame.loc[[6, 11], "smoker"] = "pipe"  # rows in val only (row % 5 == 1)
    (tmp_path / "shards").mkdir()
    for k in range(2):
        frame.iloc[k * 120 : (k + 1) * 120].to_csv(tmp_path / "shards" / f"part-{k}.csv", index=False)
    shutil.copytree(shard_root / "images", tmp_path / "images")
    spec = spec_for(tmp_path, "shards", inputs__labs__strict=True)
    with pytest.raises(DataError) as error:
        scan_table(spec, chunk_rows=50)
    assert error.value.row == "6" and error.value.column == "smoker" and "'pipe'" in str(error.value)


def test_decoded_images_are_cached_on_disk_between_epochs(shard_root, tmp_path):
    """The second pass reads the cache file: it works with the shards gone and gives the same rows."""
    from keras_multimodal.data.feature_transform import FeatureTransform
    from keras_multimodal.data.pipeline import make_dataset
    from keras_multimodal.data.streaming_stats import scan_table

    shards = tmp_path / "data"
    for folder in ("shards", "images"):
        shutil.copytree(shard_root / folder, shards / folder)
    preprocessor, data = scan_table(spec_for(shards, "shards"), chunk_rows=50)
    data.cache_dir = tmp_path / "cache"
    data.cache_dir.mkdir()
    ds = make_dataset(data.split("val"), FeatureTransform(preprocessor), 16)
    first = [(x["xray"].numpy(), y.numpy()) for x, y in ds]
    assert any(p.name.startswith("val") for p in data.cache_dir.iterdir())
    shutil.rmtree(shards / "shards")
    second = [(x["xray"].numpy(), y.numpy()) for x, y in ds]
    assert sum(len(y) for _, y in first) == data.rows["val"]
    for (xa, ya), (xb, yb) in zip(first, second, strict=True):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


def _train_cli(root, table, out, streaming):
    import yaml

    from keras_multimodal.cli import main
    from keras_multimodal.specs.loader import DEMO_SPEC

    raw = yaml.safe_load(DEMO_SPEC.read_text())
    raw["data"] = {"table": table, "root": str(root), "streaming": streaming}
    raw["split"] = {"column": "fold"}
    raw["inputs"]["xray"]["size"] = [16, 16]
    raw["training"].update({"epochs": 1, "patience": 0, "baselines": False})
    path = out.parent / f"{out.name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert main(["train", str(path), "--out", str(out), "--quiet"]) == 0
    return kmm.Run(out)


@pytest.fixture(scope="module")
def streamed_run(shard_root, tmp_path_factory):
    return _train_cli(shard_root, "shards", tmp_path_factory.mktemp("runs") / "streamed", streaming=True)


def test_kmm_train_on_parquet_shards_end_to_end(streamed_run, shard_root):
    """`kmm train` streamed: val/test predictions, report, serving export, cache removed, Run.predict."""
    predictions = pd.read_csv(streamed_run.path / "predictions.csv")
    assert set(predictions["split"]) == {"val", "test"} and len(predictions) == 96
    assert predictions["row_id"].tolist() == [i for i in range(240) if i % 5 in (0, 1)]
    assert (streamed_run.path / "serving" / "saved_model.pb").is_file()
    assert not (streamed_run.path / "image_cache").exists()
    assert "leakage checks and modality contribution are not computed" in (streamed_run.path / "report.md").read_text()
    assert streamed_run.metrics["test"]["n"] == 48
    rows = pd.read_csv(shard_root / "whole.csv", dtype=str, keep_default_na=False).iloc[:10]
    scores = streamed_run.predict(rows)["score"].to_numpy()
    expected = predictions.set_index(predictions["row_id"].astype(str))["score"]
    np.testing.assert_allclose(scores[[0, 1, 5, 6]], expected.loc[["0", "1", "5", "6"]].to_numpy(), atol=1e-5)


@pytest.mark.slow
def test_streamed_training_equals_in_memory_training(streamed_run, shard_root, tmp_path):
    """Same rows, same preprocessing, a shuffle window larger than the split: the same training history and metrics."""
    memory = _train_cli(shard_root, "whole.csv", tmp_path / "memory", streaming=False)
    a, b = (pd.read_csv(r.path / "history.csv") for r in (streamed_run, memory))
    np.testing.assert_allclose(a[["loss", "val_loss"]], b[["loss", "val_loss"]], rtol=1e-4)
    assert abs(streamed_run.metrics["test"]["auroc"] - memory.metrics["test"]["auroc"]) < 1e-4
    assert_same_state(memory.preprocessor.state, streamed_run.preprocessor.state)
