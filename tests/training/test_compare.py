"""`compare`: fusions and unimodal models on one split, with paired bootstrap differences."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

import keras_multimodal as kmm
from keras_multimodal.cli import main
from keras_multimodal.training.compare import _check_fusions
from keras_multimodal.training.compare import comparison_members
from keras_multimodal.training.compare import row_groups
from keras_multimodal.training.member_runs import spec_variant
from keras_multimodal.training.paired_bootstrap import paired_difference

MODELS = {"fused (concat)": "fused", "fused (late)": "fused", "text only (note)": "unimodal", "tabular only (labs)": "unimodal"}


@pytest.fixture(scope="module")
def small_spec(make_demo_spec):
    # Two inputs keep the module fast: 2 fusions + 2 unimodal models, 1 epoch each.
    return make_demo_spec(training__epochs=1).with_inputs(["note", "labs"])


@pytest.fixture(scope="module")
def lean_spec(small_spec):
    # The members skip what a comparison does not read (as tutorial 02 does): cheaper, and tested below.
    return spec_variant(small_spec, {"training.serving_export": False, "training.modality_contribution": False})


@pytest.fixture(scope="module")
def compared(lean_spec, tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    return out, kmm.compare(lean_spec, fusions=["concat", "late"], out=out, progress=False)


def _numpy_paired_ci(y, a, b, groups, seed, n_boot=1000):
    """The paired group bootstrap written out with NumPy and scikit-learn."""
    codes, uniques = pd.factorize(groups)
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n_boot):
        picks = np.bincount(rng.integers(0, len(uniques), len(uniques)), minlength=len(uniques))
        idx = np.repeat(np.arange(len(y)), picks[codes])
        if len(np.unique(y[idx])) < 2:
            continue
        diffs.append(roc_auc_score(y[idx], a[idx]) - roc_auc_score(y[idx], b[idx]))
    return np.percentile(diffs, [2.5, 97.5])


def test_writes_every_fusion_and_unimodal_model(compared):
    out, table = compared
    assert dict(zip(table["model"], table["kind"])) == MODELS
    for name in ("comparison.csv", "comparison.md", "comparison.png"):
        assert (out / name).stat().st_size > 0
    assert (out / "comparison.png").read_bytes()[:4] == b"\x89PNG"
    saved = pd.read_csv(out / "comparison.csv")
    assert list(saved["model"]) == list(table["model"])
    assert list(table["auroc"]) == sorted(table["auroc"], reverse=True)
    markdown = (out / "comparison.md").read_text()
    assert all(model in markdown for model in MODELS)
    for run_dir in table["run_dir"]:
        assert kmm.Run(run_dir).info["status"] == "finished"
        assert not Path(run_dir, "baselines").exists()


def test_members_share_split_and_test_metric_matches_sklearn(compared):
    _, table = compared
    frames = [pd.read_csv(f"{d}/predictions.csv") for d in table["run_dir"]]
    splits = [f.sort_values("row_id")[["row_id", "split"]].to_numpy().tolist() for f in frames]
    assert all(s == splits[0] for s in splits)
    for frame, auroc in zip(frames, table["auroc"]):
        test = frame[frame["split"] == "test"]
        assert auroc == pytest.approx(roc_auc_score(test["y_true"], test["score"]), abs=1e-9)


def test_paired_bootstrap_difference_matches_numpy(compared, small_spec):
    _, table = compared
    reference = table[table["kind"] == "unimodal"].iloc[0]
    assert (table["reference"] == reference["model"]).all()
    groups = row_groups(small_spec)
    b = pd.read_csv(f"{reference['run_dir']}/predictions.csv")
    b = b[b["split"] == "test"].set_index("row_id")
    for _, row in table.iterrows():
        a = pd.read_csv(f"{row['run_dir']}/predictions.csv")
        a = a[a["split"] == "test"]
        y, sa, sb = a["y_true"].to_numpy(), a["score"].to_numpy(), b.loc[a["row_id"], "score"].to_numpy()
        g = groups.loc[a["row_id"].astype(str)].to_numpy()
        expected = roc_auc_score(y, sa) - roc_auc_score(y, sb)
        lo, hi = _numpy_paired_ci(y, sa, sb, g, small_spec.training.seed)
        assert row["diff_vs_best_unimodal"] == pytest.approx(expected, abs=1e-9)
        assert [row["diff_ci_lo"], row["diff_ci_hi"]] == pytest.approx([lo, hi], abs=1e-9)
        assert row["n_paired"] == len(a)


def test_rerun_skips_finished_members(compared, lean_spec):
    out, table = compared
    marks = {d: [(p.name, p.stat().st_mtime_ns) for p in sorted(Path(d).iterdir())] for d in table["run_dir"]}
    again = kmm.compare(lean_spec, fusions=["concat", "late"], out=out, progress=False)
    pd.testing.assert_frame_equal(again, table)
    for d, files in marks.items():
        assert [(p.name, p.stat().st_mtime_ns) for p in sorted(Path(d).iterdir())] == files


def test_paired_difference_without_groups_matches_numpy():
    rng = np.random.default_rng(0)
    n = 60
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame({"row_id": np.arange(n), "split": "test", "y_true": y})
    a = frame.assign(score=y * 0.5 + rng.random(n))
    b = frame.assign(score=rng.random(n)).iloc[::-1]  # row order must not matter
    result = paired_difference(a, b, "binary", n_boot=300, seed=5)
    rng = np.random.default_rng(5)
    sa, sb = a["score"].to_numpy(), b.set_index("row_id").loc[a["row_id"], "score"].to_numpy()
    diffs = []
    for _ in range(300):
        idx = rng.integers(0, n, n)
        if len(np.unique(y[idx])) == 2:
            diffs.append(roc_auc_score(y[idx], sa[idx]) - roc_auc_score(y[idx], sb[idx]))
    assert result["diff"] == pytest.approx(roc_auc_score(y, sa) - roc_auc_score(y, sb), abs=1e-12)
    assert result["ci"] == pytest.approx(list(np.percentile(diffs, [2.5, 97.5])), abs=1e-12)
    assert result["n"] == n


def test_members_keep_the_fusion_options_they_accept(small_spec):
    spec = spec_variant(small_spec, {"model.fusion": {"name": "late", "combiner": "max", "units": 16, "dropout": 0.2}})
    fusions = {m.model.fusion.name: m.model.fusion.options for _, kind, m, _ in comparison_members(spec, ["late", "attention", "concat", "multihead"]) if kind == "fused"}
    assert fusions == {
        "late": {"combiner": "max", "units": 16, "dropout": 0.2},  # the spec's own fusion: every option
        "attention": {"units": 16},  # the others: what their constructor takes
        "concat": {},
        "multihead": {"units": 16, "dropout": 0.2},
    }


def test_members_skip_serving_export_and_modality_contribution(compared, tmp_path):
    _, table = compared
    for run_dir in table["run_dir"]:
        run = kmm.Run(run_dir)
        assert run.info["status"] == "finished"
        assert (Path(run_dir) / "model.keras").is_file() and (Path(run_dir) / "report.md").is_file()
        assert not (Path(run_dir) / "serving").exists()
        assert not (Path(run_dir) / "modality_contribution.json").exists()
        assert "modality_contribution" not in run.metrics
    # The export a member skipped can still be written later from its model.keras.
    written = Path(kmm.Run(table["run_dir"].iloc[0]).export(out=tmp_path / "serving"))
    assert (written / "saved_model.pb").is_file()


@pytest.mark.parametrize("key", ["serving_export", "modality_contribution"])
def test_training_stage_switches_default_on_and_are_validated(small_spec, key):
    assert getattr(small_spec.training, key) is True
    assert getattr(spec_variant(small_spec, {f"training.{key}": False}).training, key) is False
    with pytest.raises(kmm.SpecError, match=f"training.{key}"):
        spec_variant(small_spec, {f"training.{key}": "maybe"})


def test_fusions_given_with_options_override_the_spec(small_spec):
    spec = spec_variant(small_spec, {"model.fusion": {"name": "late", "units": 16, "dropout": 0.2}})
    fusions = _check_fusions(spec, [{"name": "multihead", "units": 8, "num_heads": 2}, "late", {"name": "concat"}])
    members = {m.model.fusion.name: m.model.fusion.options for _, kind, m, _ in comparison_members(spec, fusions) if kind == "fused"}
    assert members == {
        "multihead": {"units": 8, "dropout": 0.2, "num_heads": 2},  # the given options win over the spec's
        "late": {"units": 16, "dropout": 0.2},
        "concat": {},
    }


@pytest.mark.parametrize("fusions,message", [
    ([{"units": 8}], "needs a 'name'"),
    (["late", {"name": "late", "units": 8}], "listed more than once"),
    ([3], "expected a fusion name"),
    ([{"name": "late", "nope": 1}], "takes no option 'nope'"),
])
def test_bad_fusion_entries_are_spec_errors_before_training(small_spec, tmp_path, fusions, message):
    with pytest.raises(kmm.SpecError, match=message):
        kmm.compare(small_spec, fusions=fusions, out=tmp_path, progress=False)
    assert not any(tmp_path.iterdir())


def test_unknown_fusion_is_a_spec_error(small_spec, tmp_path):
    with pytest.raises(kmm.SpecError, match="unknown fusion"):
        kmm.compare(small_spec, fusions=["nope"], out=tmp_path, progress=False)
    assert main(["compare", "--fusions", "concat,nope", "--out", str(tmp_path), "--quiet"]) == 2


@pytest.mark.slow
def test_demo_best_fusion_beats_best_unimodal(tmp_path):
    import time

    start = time.time()
    assert main(["compare", "data_specs/demo.yaml", "--out", str(tmp_path), "--quiet"]) == 0
    table = pd.read_csv(tmp_path / "comparison.csv")
    print(f"kmm compare data_specs/demo.yaml: {time.time() - start:.0f} s")
    fused = table[table["kind"] == "fused"].iloc[0]  # best first
    from keras_multimodal.fusion import list_fusions

    assert len(table[table["kind"] == "fused"]) == len(list_fusions())
    assert fused["diff_ci_lo"] > 0, table[["model", "auroc", "diff_vs_best_unimodal", "diff_ci_lo", "diff_ci_hi"]]
