"""data.streaming: a row id that repeats in a later chunk or shard is broken data, as in a table read whole."""

import numpy as np
import pandas as pd
import pytest

import keras_multimodal as kmm
from keras_multimodal.data.streaming_ids import SeenIds
from keras_multimodal.data.streaming_stats import scan_table
from keras_multimodal.data.streaming_table import RawChunk
from keras_multimodal.data.table_data import TableData
from keras_multimodal.errors import DataError


@pytest.fixture(scope="module")
def id_root(tmp_path_factory):
    """60 synthetic rows with ids r000..r059, but row 45 repeats r007; also as two CSV shards."""
    from keras_multimodal.data.synthetic import make_synthetic_dataset

    root = tmp_path_factory.mktemp("stream_ids") / "data"
    frame = pd.read_csv(make_synthetic_dataset(root, rows=60, seed=5, image_size=8), dtype=str, keep_default_na=False)
    frame["fold"] = ["test" if i % 5 == 0 else "val" if i % 5 == 1 else "train" for i in range(len(frame))]
    frame.insert(0, "rid", [f"r{i:03d}" for i in range(len(frame))])
    frame.loc[45, "rid"] = "r007"
    frame.to_csv(root / "whole.csv", index=False)
    (root / "csv").mkdir()
    frame.iloc[:30].to_csv(root / "csv" / "part-0.csv", index=False)
    frame.iloc[30:].to_csv(root / "csv" / "part-1.csv", index=False)
    return root


def _spec(root, table, **updates):
    settings = {
        "data__root": str(root), "data__table": table, "data__generate": None, "data__streaming": True,
        "data__id": "rid", "split": {"column": "fold"}, "inputs__xray__size": [8, 8],
    }
    return kmm.load_spec(None, **{**settings, **updates})


def test_repeat_in_a_later_chunk_is_an_error_naming_file_id_and_both_rows(id_root):
    with pytest.raises(DataError) as caught:
        scan_table(_spec(id_root, "whole.csv"), chunk_rows=20)  # r007 in chunk 0, again in chunk 2
    assert str(caught.value) == (
        f"{id_root / 'whole.csv'}, row r007, column 'rid': "
        "row id 'r007' repeats (ids must be unique; first in table row 7, again in table row 45)"
    )


def test_repeat_in_a_later_shard_names_the_earlier_shard(id_root):
    with pytest.raises(DataError, match="first in table row 7 of .*part-0.csv, again in table row 45") as caught:
        scan_table(_spec(id_root, "csv"), chunk_rows=1000)  # one chunk per shard
    assert caught.value.file.endswith("part-1.csv") and caught.value.row == "r007"


def test_skip_drops_the_later_row_in_every_pass(id_root):
    _, data = scan_table(_spec(id_root, "whole.csv", data__on_bad_rows="skip"), chunk_rows=20)
    assert data.skipped == 1 and sum(data.rows.values()) == 59
    assert "again in table row 45" in data.first_skipped[2]
    ids = [i for chunk in data.chunks() for i in chunk.frame["row_id"]]
    assert len(ids) == 59 and ids.count("r007") == 1  # the training passes drop it too


def test_seen_ids_match_a_whole_table_duplicated_check():
    """Many chunks (so the sorted runs merge many times): exactly the later repeats are found, with their first rows."""
    rng = np.random.default_rng(0)
    pool = np.array([f"id{k}" for k in range(400)], dtype=object)
    chunks = [rng.choice(pool, size=int(rng.integers(1, 40)), replace=False) for _ in range(60)]
    ids = np.concatenate(chunks)
    seen, kept, offset = SeenIds("rid"), [], 0
    for values in chunks:
        frame = pd.DataFrame({"rid": values, "__row__": np.arange(offset, offset + len(values))})
        offset += len(values)
        data = TableData(frame=pd.DataFrame({"row_id": values}), labels=None, classes=[], task="binary")
        data = seen.drop_repeats(RawChunk(frame, "t.csv"), data, "skip")
        kept += list(data.frame["row_id"])
        for row_id, _, message in data.skipped:
            assert f"first in table row {list(ids).index(row_id)}," in message
    assert kept == list(ids[~pd.Series(ids).duplicated().to_numpy()])
    assert len(seen.runs) <= int(np.log2(len(pool))) + 2  # runs merge; 16 bytes per distinct id
    assert sum(len(keys) for keys, _ in seen.runs) == len(set(ids))
