"""Every registered fusion trains on the demo, reloads identically, and copes with a missing modality."""

import keras
import numpy as np
import pandas as pd
import pytest

import keras_multimodal as kmm
from keras_multimodal.cli import main
from keras_multimodal.evaluation.metrics import compute_metrics
from keras_multimodal.fusion import list_fusions
from keras_multimodal.training.predictions import predict_scores

MODALITY_COLUMNS = {"xray": ["image_file"], "note": ["note"], "labs": ["age", "temperature", "spo2", "crp", "sex", "smoker"]}


def without(table, name):
    table = table.copy()
    for column in MODALITY_COLUMNS[name]:
        table[column] = np.nan
    return table


@pytest.mark.parametrize("fusion", list_fusions())
def test_fusion_trains_reloads_and_predicts_without_a_modality(fusion, demo_root, tmp_path, capsys):
    out = tmp_path / fusion
    args = ["train", "--out", str(out), "--quiet", "--fusion", fusion, "--epochs", "1",
            "--set", f"data.root={demo_root}", "--set", "data.generate.rows=240",
            "--set", "training.baselines=false", "--set", "training.modality_dropout=0.2"]
    assert main(args) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(out)
    run = kmm.Run.load(out)
    assert run.spec.model.fusion.name == fusion
    table = pd.read_csv(demo_root / "demo.csv")
    test_ids = pd.read_csv(out / "predictions.csv").query("split == 'test'")["row_id"].astype(str)
    rows = table[table.index.astype(str).isin(test_ids)]
    reloaded = keras.saving.load_model(out / "model.keras", safe_mode=True)
    data = run._table(rows, with_target=False)
    np.testing.assert_allclose(
        predict_scores(reloaded, data, run.preprocessor), predict_scores(run.model, data, run.preprocessor), atol=1e-6
    )
    # Batch independence: a row scores the same alone as among the others.
    together = run.predict(rows)["score"].to_numpy()
    alone = run.predict(rows.iloc[[3]])["score"].to_numpy()
    np.testing.assert_allclose(alone, together[3:4], atol=1e-6)
    for name in MODALITY_COLUMNS:
        scores = run.predict(without(rows, name))["score"].to_numpy()
        assert np.all(np.isfinite(scores)) and np.all((scores >= 0) & (scores <= 1)), name


@pytest.mark.slow
@pytest.mark.parametrize("fusion", list_fusions())
def test_demo_auroc_stays_above_chance_with_a_modality_removed(fusion, tmp_path):
    spec = kmm.load_spec(None, training__baselines=False, training__modality_dropout=0.2, model__fusion=fusion)
    run = kmm.train(spec, out=tmp_path / fusion, verbose=0)
    table = pd.read_csv(run.spec.data.table_path)
    predictions = pd.read_csv(run.path / "predictions.csv")
    test = predictions[predictions["split"] == "test"]
    rows = table.loc[test["row_id"].astype(int)]
    for name in MODALITY_COLUMNS:
        scored = run.predict(without(rows, name))
        frame = pd.DataFrame({"row_id": scored["row_id"], "split": "test", "y_true": test["y_true"].to_numpy(), "score": scored["score"]})
        metrics, _ = compute_metrics(frame, "binary", run.classes)
        assert np.all(np.isfinite(scored["score"]))
        assert metrics["test"]["auroc_ci"][0] > 0.5, (fusion, name, metrics["test"]["auroc"])


COVID = __import__("pathlib").Path(__file__).resolve().parents[2] / "data_specs" / "covid_cxr.yaml"
COVID_DATA = __import__("pathlib").Path(__file__).resolve().parents[3] / "shared" / "data" / "covid_chestxray"


@pytest.mark.skipif(not COVID_DATA.is_dir(), reason="../shared/data is not beside the checkout")
@pytest.mark.parametrize("fusion", list_fusions())
def test_fusion_trains_on_covid(fusion, tmp_path, capsys):
    out = tmp_path / fusion
    args = ["train", str(COVID), "--data-root", str(COVID_DATA), "--out", str(out), "--quiet", "--fusion", fusion,
            "--epochs", "1", "--set", "training.baselines=false", "--set", "inputs.xray.size=[32, 32]",
            "--set", "inputs.notes.sequence_length=64"]
    assert main(args) == 0
    run = kmm.Run.load(out)
    assert run.metrics["test"]["n"] > 0
    assert (out / "serving" / "saved_model.pb").is_file()
