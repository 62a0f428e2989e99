"""Acceptance: `serving/` of a covid run, loaded by TensorFlow alone, equals the in-memory model and `kmm predict`."""

import base64
import json

import numpy as np
import pandas as pd
import tensorflow as tf

from keras_multimodal.cli import main
from keras_multimodal.data.readers import read_table
from keras_multimodal.export.serving import raw_signature

from serving_client import serve_in_fresh_process

README_IMAGE = "nejmoa2001191_f1-PA.jpg"  # the row whose request body the README shows
LABS = ["age", "temperature", "pO2_saturation", "neutrophil_count", "lymphocyte_count", "sex", "view"]


def covid_rows(covid_root, path, n=100):
    """n raw X-ray rows as the file has them, with absent modalities, without the target column."""
    table = pd.read_csv(covid_root / "metadata.csv", dtype=str, keep_default_na=False)
    rows = table[table["modality"] == "X-ray"].sample(n, random_state=3).reset_index(drop=True)
    rows.loc[[0, 5, 9], "image_file"] = ""
    rows.loc[[1, 5], "clinical_notes"] = ""
    rows.loc[11, "clinical_notes"] = " N/A "  # one of the spec's na_values: absent, as in the table reader
    rows.loc[12, "view"] = "?"
    rows.loc[[2, 9], LABS] = ""
    rows.loc[3, ["image_file", "clinical_notes", *LABS]] = ""  # nothing at all: still served
    rows.drop(columns=["went_icu"]).to_csv(path, index=False)
    return path


def test_saved_model_serves_raw_covid_rows_like_the_model_and_kmm_predict(covid_run, covid_root, tmp_path, capsys):
    table = covid_rows(covid_root, tmp_path / "rows.csv")
    (served,), modules = serve_in_fresh_process([covid_run.path / "serving"], covid_run.spec, table, covid_root, tmp_path)
    assert "keras_multimodal" not in modules
    run = covid_run.with_data_root(str(covid_root))
    expected = run.predict(read_table(table, run.spec.data.na_values))
    assert main(["predict", str(run.path), str(table), "--data-root", str(covid_root), "--out", str(tmp_path / "p.csv")]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(tmp_path / "p.csv")
    predicted = pd.read_csv(tmp_path / "p.csv")

    score = np.asarray(served["score"])
    assert len(score) == 100 and np.all(np.isfinite(score))
    print(f"covid serving max|diff|: in-memory {np.max(np.abs(score - expected['score'])):.2e}, "
          f"kmm predict {np.max(np.abs(score - predicted['score'])):.2e}")
    np.testing.assert_allclose(score, expected["score"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(score, predicted["score"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(np.asarray(served["probabilities"]), np.stack([1 - score, score], axis=1), atol=1e-7)
    assert served["label"] == predicted["label"].tolist()


def xray_rows(covid_root):
    table = pd.read_csv(covid_root / "metadata.csv", dtype=str)
    return table[table["modality"] == "X-ray"].reset_index(drop=True)


def rest_body(spec, rows, root, layout):
    """The JSON a TF Serving client posts: images as {"b64": ...}, NaN for missing numbers."""
    templates = {s.column: s.path_template for s in spec.inputs.values() if s.type == "image"}
    columns = {}
    for name, (kind, column) in raw_signature(spec).items():
        cells = rows[column].fillna("").astype(str)
        if kind == "image":
            columns[name] = [{"b64": base64.b64encode((root / templates[column].format(c)).read_bytes()).decode() if c else ""} for c in cells]
        elif kind == "numeric":
            columns[name] = [float(v) for v in pd.to_numeric(cells, errors="coerce")]
        else:
            columns[name] = cells.tolist()
    if layout == "inputs":
        return json.dumps({"signature_name": "serving_default", "inputs": columns})
    instances = [{name: values[i] for name, values in columns.items()} for i in range(len(rows))]
    return json.dumps({"signature_name": "serving_default", "instances": instances})


def decode_like_tf_serving(body, signature):
    """What TF Serving's json_tensor.cc does with a predict body (NaN literals allowed, b64 only for strings)."""
    request = json.loads(body)
    specs = signature.structured_input_signature[1]
    if "instances" in request:
        instances = request["instances"]
        for item in instances:
            assert set(item) == set(specs), "each instance must name every input"
        columns = {name: [item[name] for item in instances] for name in specs}
    else:
        columns = request["inputs"]
        assert set(columns) >= set(specs)

    def value(x, dtype):
        if dtype == tf.string:
            return base64.b64decode(x["b64"]) if isinstance(x, dict) else x.encode()
        assert isinstance(x, float | int), f"{x!r} is not a JSON number"
        return x

    return {name: tf.constant([value(x, spec.dtype) for x in columns[name]], spec.dtype) for name, spec in specs.items()}


def test_rest_request_body_decoded_like_tf_serving_gives_the_same_numbers(covid_run, covid_root, tmp_path):
    table = xray_rows(covid_root)
    rows = pd.concat([table[table["image_file"] == README_IMAGE], table.iloc[[0, 1]]]).reset_index(drop=True)
    assert len(rows) == 3
    rows.loc[1, "clinical_notes"] = ""  # a row without a note
    rows.loc[2, "image_file"] = ""  # and one without an image
    signature = tf.saved_model.load(str(covid_run.path / "serving")).signatures["serving_default"]
    run = covid_run.with_data_root(str(covid_root))
    expected = run.predict(rows)["score"].to_numpy()
    for layout in ("instances", "inputs"):
        body = rest_body(run.spec, rows, covid_root, layout)
        assert "NaN" in body  # missing labs travel as NaN literals, which TF Serving's parser accepts
        outputs = signature(**decode_like_tf_serving(body, signature))
        np.testing.assert_allclose(outputs["score"].numpy(), expected, rtol=0, atol=1e-5)
