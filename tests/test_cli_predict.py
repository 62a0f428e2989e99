"""`kmm predict RUN_DIR TABLE`: batch prediction equals the run's own predictions."""

import numpy as np
import pandas as pd

from keras_multimodal.cli import main


def test_predict_writes_scores_for_a_table_without_target(demo_run, demo_root, tmp_path, capsys):
    table = pd.read_csv(demo_root / "demo.csv").drop(columns=["outcome"]).head(50)
    table.to_csv(demo_root / "new_rows.csv", index=False)
    out = tmp_path / "pred.csv"
    code = main(["predict", str(demo_run.path), str(demo_root / "new_rows.csv"), "--out", str(out)])
    assert code == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(out)
    predicted = pd.read_csv(out)
    assert list(predicted.columns) == ["row_id", "score", "y_pred", "label"]
    assert predicted["label"].tolist() == [demo_run.classes[i] for i in predicted["y_pred"]]
    saved = pd.read_csv(demo_run.path / "predictions.csv").head(50)
    np.testing.assert_allclose(predicted["score"], saved["score"], atol=1e-6)


def test_predict_names_a_missing_column(demo_run, demo_root, tmp_path, capsys):
    table = pd.read_csv(demo_root / "demo.csv").drop(columns=["crp"]).head(5)
    table.to_csv(demo_root / "no_crp.csv", index=False)
    assert main(["predict", str(demo_run.path), str(demo_root / "no_crp.csv"), "--out", str(tmp_path / "p.csv")]) == 2
    assert "crp" in capsys.readouterr().err
