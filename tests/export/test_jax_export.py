"""A model trained on the JAX backend exports through a TensorFlow subprocess and serves the same numbers."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import keras_multimodal as kmm

from serving_client import serve_in_fresh_process

SETTINGS = {"data__generate__rows": 120, "training__modality_dropout": 0.2, "inputs__xray__size": [32, 32]}


@pytest.mark.slow
def test_jax_trained_model_exports_and_serves_like_jax_predicts(tmp_path):
    pytest.importorskip("jax")
    root, serving = tmp_path / "demo", tmp_path / "serving"
    script = textwrap.dedent(
        f"""
        import json
        import keras, keras_multimodal as kmm
        from keras_multimodal.export.serving import export_serving
        from keras_multimodal.training.data_setup import prepare_data
        from keras_multimodal.training.fit import fit_model
        from keras_multimodal.training.predictions import predict_scores
        spec = kmm.load_spec(None, data__root={str(root)!r}, **{SETTINGS!r})
        prepared = prepare_data(spec)
        model = fit_model(spec, prepared, {str(tmp_path / 'run')!r}, verbose=0)
        export_serving(model, prepared.preprocessor, spec, {str(serving)!r}, threshold=0.5)
        test = prepared.data.split("test")
        print(json.dumps({{"backend": keras.backend.backend(), "row_ids": test.frame["row_id"].astype(int).tolist(),
                           "scores": predict_scores(model, test, prepared.preprocessor).reshape(-1).tolist()}}))
        """
    )
    env = dict(os.environ, KERAS_BACKEND="jax")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    trained = json.loads(result.stdout.strip().splitlines()[-1])
    assert trained["backend"] == "jax"
    table = pd.read_csv(root / "demo.csv", dtype=str, keep_default_na=False)
    table.iloc[trained["row_ids"]].to_csv(tmp_path / "rows.csv", index=False)
    spec = kmm.load_spec(None, data__root=str(root), **SETTINGS)
    (served,), _ = serve_in_fresh_process([serving], spec, tmp_path / "rows.csv", root, tmp_path)
    difference = np.max(np.abs(np.asarray(served["score"]) - np.asarray(trained["scores"])))
    print(f"JAX-trained model, TensorFlow serving: max|diff| {difference:.2e} over {len(trained['scores'])} rows")
    assert difference <= 1e-5
