"""The issue's acceptance check on real data: a copy of covid_chestxray with one truncated
JPEG, one deleted image and one "abc" age. Default policy: exit 2 naming the first bad row;
`data.on_bad_rows: skip`: a finished run whose report and metrics.json count three skipped rows.
"""

import json
import shutil

import pandas as pd
import pytest
from reliability_helpers import SHARED
from reliability_helpers import SPECS
from reliability_helpers import error_line

COVID = SHARED / "covid_chestxray"
ROWS = 60  # the first labelled X-ray rows: 20 patients, both outcomes
TRUNCATED, DELETED, ABC = 5, 12, 20  # rows of the copied table
TINY = ["--set", "inputs.xray.size=[32, 32]", "--set", "inputs.notes.sequence_length=32", "--epochs", "1"]

pytestmark = pytest.mark.skipif(not COVID.is_dir(), reason="../shared/data is not beside the checkout")


@pytest.fixture(scope="module")
def broken_copy(tmp_path_factory):
    """A copy of the rows used, three of them broken; returns (root, image path of each bad row)."""
    root = tmp_path_factory.mktemp("covid")
    table = pd.read_csv(COVID / "metadata.csv", dtype=str, keep_default_na=False)
    keep = (table["modality"] == "X-ray") & table["went_icu"].isin(["Y", "N"]) & ~table["patientid"].isin(["339", "340"])
    table = table[keep].head(ROWS).reset_index(drop=True)
    (root / "images").mkdir()
    for name in table["image_file"]:
        shutil.copy(COVID / "images" / name, root / "images" / name)
    truncated = root / "images" / table.loc[TRUNCATED, "image_file"]
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    deleted = root / "images" / table.loc[DELETED, "image_file"]
    deleted.unlink()
    table.loc[ABC, "age"] = "abc"
    table.to_csv(root / "metadata.csv", index=False)
    return root, truncated, deleted


def test_default_policy_names_the_first_bad_row(broken_copy, kmm, tmp_path):
    root, truncated, _ = broken_copy
    code, out, err = kmm("train", SPECS / "covid_cxr.yaml", "--data-root", root, "--out", tmp_path / "run", *TINY)
    assert code == 2, out + err
    line = error_line(err)
    assert line.startswith(f"kmm: error: {root / 'metadata.csv'}, row {TRUNCATED}, column 'image_file': unreadable image"), line
    assert str(truncated) in line and "(2 more bad cells; set data.on_bad_rows: skip to drop such rows)" in line
    assert not (tmp_path / "run").exists()


def test_skip_policy_finishes_and_counts_three_skipped_rows(broken_copy, kmm, tmp_path):
    root, _, _ = broken_copy
    out = tmp_path / "run"
    args = ["--set", "data.on_bad_rows=skip", "--set", "training.baselines=false", *TINY]
    code, stdout, err = kmm("train", SPECS / "covid_cxr.yaml", "--data-root", root, "--out", out, *args)
    assert code == 0, err[-3000:]
    assert json.loads((out / "run.json").read_text())["status"] == "finished"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["skipped_rows"] == 3
    assert sum(metrics[s]["n"] for s in ("train", "val", "test") if s in metrics) <= ROWS - 3
    for report in ("report.md", "report.html"):
        text = (out / report).read_text()
        assert "3 rows skipped as broken (data.on_bad_rows: skip)" in text, report
    predictions = pd.read_csv(out / "predictions.csv", dtype={"row_id": str})
    assert not {str(TRUNCATED), str(DELETED), str(ABC)} & set(predictions["row_id"])
    assert len(predictions) == ROWS - 3
