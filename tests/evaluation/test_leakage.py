"""Leakage checks find exactly the planted cross-split duplicates."""

import numpy as np
import pandas as pd

from keras_multimodal.evaluation.leakage import check_leakage


def _frame(tmp_path):
    """8 rows; planted: one image content in train+test (rows 0, 5, written under two names),
    one text in train+val ('Fever  ' vs 'fever'), one group in train+test."""
    contents = [b"A", b"B", b"C", b"D", b"E", b"A", b"F", b"B"]  # row 7 repeats row 1, same split
    paths = []
    for i, content in enumerate(contents):
        path = tmp_path / f"img_{i}.png"
        path.write_bytes(content)
        paths.append(str(path))
    paths[6] = ""  # absent image: never a duplicate
    return pd.DataFrame({
        "row_id": [f"r{i}" for i in range(8)],
        "split": ["train", "train", "train", "val", "val", "test", "test", "train"],
        "image": paths,
        "note": ["Fever  ", "cough", "", "fever", "rash", "", "", "cough"],
        "group": ["g1", "g2", "g3", "g4", "g5", "g1", "g6", "g2"],
    })


def test_planted_duplicates_are_found_exactly(tmp_path):
    frame = _frame(tmp_path)
    found = check_leakage(frame, ["image"], ["note"], groups=frame["group"])
    images, texts, groups = found["images"], found["texts"], found["groups"]
    assert (images["n_shared"], images["n_rows"]) == (1, 2)
    assert images["examples"][0]["row_ids"] == ["r0", "r5"]
    assert images["examples"][0]["splits"] == ["test", "train"]
    # Empty texts (rows 2, 5, 6) are in several splits but are not duplicates.
    assert (texts["n_shared"], texts["n_rows"]) == (1, 2)
    assert texts["examples"][0]["text"] == "fever"
    assert (groups["n_shared"], groups["n_rows"]) == (1, 2)
    assert groups["examples"][0]["group"] == "g1"
    assert len(found["warnings"]) == 3
    assert any("1 identical image files" in w for w in found["warnings"])


def test_clean_data_has_no_warnings_and_unchecked_groups(tmp_path):
    frame = _frame(tmp_path).iloc[[0, 1, 2, 4, 6]]  # drops the planted val text and test row 5
    found = check_leakage(frame, ["image"], ["note"], groups=None)
    assert found["warnings"] == []
    assert found["groups"] == {"checked": False, "n_shared": 0, "n_rows": 0, "examples": []}
    assert found["images"]["checked"] and found["images"]["n_shared"] == 0


def test_examples_are_capped_and_counts_pool_image_columns(tmp_path):
    rows = 20
    paths_a, paths_b = [], []
    for i in range(rows):
        for prefix, paths in (("a", paths_a), ("b", paths_b)):
            path = tmp_path / f"{prefix}{i}.bin"
            path.write_bytes(str(i).encode())  # a_i and b_i share content
            paths.append(str(path))
    splits = np.where(np.arange(rows) % 2 == 0, "train", "test")
    frame = pd.DataFrame({"row_id": range(rows), "split": splits, "front": paths_a, "side": paths_b})
    assert check_leakage(frame, ["front", "side"])["images"]["n_shared"] == 0  # same row, same split
    frame["side"] = np.roll(paths_b, 1)  # row i's side view is row i-1's front view
    found = check_leakage(frame, ["front", "side"], max_examples=5)["images"]
    assert found["n_shared"] == rows and found["n_rows"] == 2 * rows
    assert len(found["examples"]) == 5
