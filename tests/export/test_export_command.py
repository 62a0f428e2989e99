"""`kmm export`: SavedModel, inference-only `.keras` and ONNX artifacts of a finished run."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from keras_multimodal.cli import main
from keras_multimodal.data.feature_transform import FeatureTransform
from keras_multimodal.data.pipeline import make_dataset
from keras_multimodal.export.onnx_export import sample_inputs


def model_batch(run, rows):
    """Real model inputs (what the pipeline feeds the model) for raw table rows."""
    data = run._table(rows, with_target=False)
    ds = make_dataset(data, FeatureTransform(run.preprocessor), len(rows), with_labels=False, cache=False)
    (features,) = next(iter(ds))
    return {k: v.numpy() for k, v in features.items()}


def test_export_keras_loads_in_safe_mode_after_importing_only_the_package(demo_run, tmp_path):
    out = tmp_path / "keras"
    assert main(["export", str(demo_run.path), "--format", "keras", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["model.keras", "preprocessing.json", "signature.json", "spec.yaml"]
    signature = json.loads((out / "signature.json").read_text())
    assert sorted(i["name"] for i in signature["inputs"]) == sorted(t.name for t in demo_run.model.inputs)
    assert all(i["meaning"] for i in signature["inputs"])
    assert signature["output"]["classes"] == demo_run.classes
    # No optimizer state: smaller than the training checkpoint.
    assert (out / "model.keras").stat().st_size < (demo_run.path / "model.keras").stat().st_size
    inputs = sample_inputs(demo_run.model, demo_run.preprocessor, rows=6)
    np.savez(tmp_path / "x.npz", **inputs)
    script = textwrap.dedent(
        f"""
        import json, sys
        import numpy as np
        import keras_multimodal, keras
        x = dict(np.load({str(tmp_path / 'x.npz')!r}))
        out = {{}}
        for name, path in [("export", {str(out / 'model.keras')!r}), ("run", {str(demo_run.path / 'model.keras')!r})]:
            model = keras.saving.load_model(path, safe_mode=True)
            out[name] = np.asarray(model(x, training=False)).tolist()
        print(json.dumps(out))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    expected = np.asarray(demo_run.model(inputs, training=False))
    np.testing.assert_allclose(loaded["export"], expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(loaded["run"], expected, rtol=0, atol=1e-6)


def test_export_onnx_matches_keras_on_real_inputs(demo_run, demo_root, tmp_path):
    pytest.importorskip("tf2onnx")
    onnxruntime = pytest.importorskip("onnxruntime")
    out = tmp_path / "onnx"
    assert main(["export", str(demo_run.path), "--format", "onnx", "--out", str(out)]) == 0
    signature = json.loads((out / "signature.json").read_text())
    assert signature["onnx_check"]["max_abs_diff"] < 1e-5
    rows = pd.read_csv(demo_root / "demo.csv").head(32)
    rows.loc[0, "image_file"] = np.nan
    rows.loc[1, "note"] = np.nan
    batch = model_batch(demo_run, rows)
    session = onnxruntime.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    assert sorted(i.name for i in session.get_inputs()) == sorted(batch)
    onnx_scores = session.run(None, batch)[0]
    keras_scores = np.asarray(demo_run.model(batch, training=False))
    np.testing.assert_allclose(onnx_scores, keras_scores, rtol=0, atol=1e-5)


def test_onnx_without_tf2onnx_is_a_clear_error(demo_run, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # import tf2onnx -> ImportError
    assert main(["export", str(demo_run.path), "--format", "onnx", "--out", str(tmp_path / "o")]) == 2
    error = capsys.readouterr().err
    assert "tf2onnx" in error and "pip install" in error
    assert not (tmp_path / "o").exists()


def test_export_of_an_unfinished_run_names_what_is_missing(demo_run, tmp_path, capsys):
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "spec.yaml").write_text((demo_run.path / "spec.yaml").read_text())
    assert main(["export", str(unfinished)]) == 2
    assert "model.keras" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "nowhere")]) == 2
    assert "not a run directory" in capsys.readouterr().err
