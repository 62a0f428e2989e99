"""A search re-run with more trials keeps the finished ones and runs only the new ones."""

import json

import pandas as pd

from keras_multimodal.tuning import tune
from search_fixtures import TINY_SEARCH
from search_fixtures import trial_files


def test_more_trials_runs_exactly_the_missing_ones(make_demo_spec, tmp_path):
    spec = make_demo_spec(**TINY_SEARCH)
    out = tmp_path / "tune"
    assert tune(spec, out=out, verbose=0, retrain=False) is None
    first = trial_files(out)
    assert sorted(first) == ["trial_0", "trial_1"]
    assert not (out / "best").exists()

    tune(spec, out=out, max_trials=3, verbose=0, retrain=False)
    second = trial_files(out)
    assert sorted(second) == ["trial_0", "trial_1", "trial_2"]
    for name, (mtime, saved) in first.items():
        assert second[name] == (mtime, saved)  # finished trials are never re-run (nor re-saved)
    assert second["trial_2"][1]["status"] == "COMPLETED"
    oracle = json.loads((out / "tuner" / "demo" / "oracle.json").read_text())
    assert sorted(oracle["end_order"]) == ["0", "1", "2"] and oracle["ongoing_trials"] == {}
    table = pd.read_csv(out / "tuning.csv")
    assert sorted(table["trial_id"]) == [0, 1, 2] and set(table["status"]) == {"COMPLETED"}
