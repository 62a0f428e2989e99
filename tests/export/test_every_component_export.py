"""Every registered fusion and encoder: trained tiny, exported, reloaded outside the toolkit (slow tier)."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import keras_multimodal as kmm
from keras_multimodal.encoders import list_encoders
from keras_multimodal.errors import RunError
from keras_multimodal.export.onnx_export import check_onnx
from keras_multimodal.export.onnx_export import export_onnx
from keras_multimodal.export.onnx_export import sample_inputs
from keras_multimodal.export.serving import export_serving
from keras_multimodal.fusion import list_fusions
from keras_multimodal.training.data_setup import prepare_data
from keras_multimodal.training.fit import fit_model
from keras_multimodal.training.predictions import predict_scores

from serving_client import serve_in_fresh_process

SMALL = {"bert": {"name": "bert", "trainable": False}, "backbone": {"name": "backbone", "architecture": "mobilenetv3small"}}


def combinations():
    """One model per fusion; encoders assigned in turn so that each registered one is used once,
    the heavy pretrained-size ones (SMALL) no more than once."""

    def pick(names, i):
        light = [n for n in names if n not in SMALL]
        name = names[i] if i < len(names) else light[i % len(light)]
        return SMALL.get(name, name)

    inputs = {"xray": list_encoders("image"), "note": list_encoders("text"), "labs": list_encoders("tabular")}
    return [(fusion, {k: pick(v, i) for k, v in inputs.items()}) for i, fusion in enumerate(list_fusions())]


def test_combinations_cover_every_registered_component():
    fusions = {f for f, _ in combinations()}
    encoders = {e if isinstance(e, str) else e["name"] for _, choice in combinations() for e in choice.values()}
    assert fusions == set(list_fusions()) and encoders == set(list_encoders())


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Each combination trained one epoch on 120 demo rows, with its SavedModel, ONNX file and expected scores."""
    root = tmp_path_factory.mktemp("demo120")
    out = []
    for fusion, encoders in combinations():
        folder = tmp_path_factory.mktemp(fusion)
        spec = kmm.load_spec(
            None, data__root=str(root), data__generate__rows=120, model__fusion=fusion, model__encoders=encoders,
            training__epochs=1, training__baselines=False, inputs__xray__size=[32, 32], inputs__note__sequence_length=16,
        )
        prepared = prepare_data(spec)
        model = fit_model(spec, prepared, folder, verbose=0)
        export_serving(model, prepared.preprocessor, spec, folder / "serving", threshold=0.5)
        try:
            export_onnx(model, folder / "model.onnx")
            onnx = check_onnx(model, folder / "model.onnx", prepared.preprocessor)
        except RunError as error:
            onnx = str(error)
        test = prepared.data.split("test")
        inputs = sample_inputs(model, prepared.preprocessor, rows=5)
        np.savez(folder / "x.npz", **inputs)
        out.append({
            "fusion": fusion, "encoders": encoders, "spec": spec, "folder": folder, "root": root, "onnx": onnx,
            "row_ids": test.frame["row_id"].astype(int).tolist(),
            "scores": predict_scores(model, test, prepared.preprocessor).reshape(-1),
            "tensor_scores": np.asarray(model(inputs, training=False)).reshape(-1),
        })
    return out


@pytest.mark.slow
def test_every_fusion_serves_raw_rows_in_a_tensorflow_only_process(trained, tmp_path):
    first = trained[0]
    table = pd.read_csv(first["root"] / "demo.csv", dtype=str, keep_default_na=False)
    rows = table.iloc[first["row_ids"]]
    assert all(t["row_ids"] == first["row_ids"] for t in trained)  # same split for every model
    rows.to_csv(tmp_path / "rows.csv", index=False)
    uses_bert = any(e == SMALL["bert"] for t in trained for e in t["encoders"].values())
    served, modules = serve_in_fresh_process(
        [t["folder"] / "serving" for t in trained], first["spec"], tmp_path / "rows.csv", first["root"], tmp_path,
        preload=["tensorflow_text"] if uses_bert else [],
    )
    assert "keras_multimodal" not in modules
    for t, out in zip(trained, served):
        difference = np.max(np.abs(np.asarray(out["score"]) - t["scores"]))
        print(f"{t['fusion']} {t['encoders']}: serving max|diff| {difference:.2e}")
        assert difference <= 1e-5, t["fusion"]


@pytest.mark.slow
def test_every_fusion_and_encoder_loads_in_safe_mode_after_importing_only_the_package(trained):
    paths = [(str(t["folder"] / "model.keras"), str(t["folder"] / "x.npz")) for t in trained]
    script = textwrap.dedent(
        f"""
        import json
        import numpy as np
        import keras_multimodal, keras
        out = []
        for model_path, inputs in {paths!r}:
            model = keras.saving.load_model(model_path, safe_mode=True)
            out.append(np.asarray(model(dict(np.load(inputs)), training=False)).reshape(-1).tolist())
        print(json.dumps(out))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    for t, scores in zip(trained, json.loads(result.stdout.strip().splitlines()[-1])):
        np.testing.assert_allclose(scores, t["tensor_scores"], rtol=0, atol=1e-6, err_msg=t["fusion"])


@pytest.mark.slow
def test_every_fusion_and_encoder_converts_to_onnx(trained):
    pytest.importorskip("tf2onnx")
    pytest.importorskip("onnxruntime")
    for t in trained:
        print(f"{t['fusion']} {t['encoders']}: onnx {t['onnx']}")
    failed = {t["fusion"]: t["onnx"] for t in trained if isinstance(t["onnx"], str)}
    assert not failed
    assert max(t["onnx"]["max_abs_diff"] for t in trained) <= 1e-5
