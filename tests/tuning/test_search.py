"""`tune`: a tiny search writes tuning.csv/.md and a complete run directory for the best trial."""

import math

import pandas as pd
import pytest

from keras_multimodal.tuning import tune
from search_fixtures import TINY_SEARCH
from search_fixtures import trial_files


@pytest.fixture(scope="module")
def tuned(make_demo_spec, tmp_path_factory):
    out = tmp_path_factory.mktemp("tune") / "demo-tune"
    spec = make_demo_spec(**TINY_SEARCH)
    logged = []
    run = tune(spec, out=out, verbose=0, log=logged.append)
    return spec, out, run, logged


def test_tuning_csv_lists_the_finished_trials_best_first(tuned):
    _, out, _, _ = tuned
    table = pd.read_csv(out / "tuning.csv")
    assert sorted(table["trial_id"]) == [0, 1]
    assert list(table["status"]) == ["COMPLETED", "COMPLETED"]
    assert table["val_loss"].is_monotonic_increasing
    written = trial_files(out)
    assert sorted(written) == ["trial_0", "trial_1"]
    for _, row in table.iterrows():
        saved = written[f"trial_{row['trial_id']}"][1]
        assert math.isclose(row["val_loss"], saved["score"], rel_tol=1e-9)
        assert row["model.fusion"] == saved["hyperparameters"]["values"]["model.fusion"]
        assert row["training.batch_size"] == saved["hyperparameters"]["values"]["training.batch_size"]
    markdown = (out / "tuning.md").read_text()
    assert "| trial_id | status | val_loss |" in markdown and "2 (2 completed)" in markdown


def test_best_trial_is_retrained_into_a_complete_run(tuned):
    spec, out, run, _ = tuned
    assert run.path == out / "best"
    for name in ("spec.yaml", "run.json", "model.keras", "metrics.json", "predictions.csv", "report.html", "report.md", "preprocessing.json"):
        assert (run.path / name).is_file(), name
    assert (run.path / "serving" / "saved_model.pb").is_file()
    assert run.info["status"] == "finished"
    best = pd.read_csv(out / "tuning.csv").iloc[0]
    assert run.spec.model.fusion.name == best["model.fusion"]
    assert run.spec.model.hidden_units == best["model.hidden_units"]
    assert run.spec.training.batch_size == best["training.batch_size"]
    assert run.spec.model.dropout == pytest.approx(best["model.dropout"])
    assert run.spec.training.learning_rate == pytest.approx(best["training.learning_rate"], rel=1e-5)
    assert run.spec.training.epochs == spec.training.epochs  # the spec's own training length


def test_rerun_of_a_finished_search_changes_nothing(tuned):
    spec, out, run, _ = tuned
    before = trial_files(out)
    started = run.info["started"]
    logged = []
    again = tune(spec, out=out, verbose=0, log=logged.append)
    assert trial_files(out) == before
    assert again.info["started"] == started
    assert any("already trained" in line for line in logged)
