"""The SavedModel in `serving/` takes raw columns and matches the in-memory model."""

import numpy as np
import pandas as pd
import pytest

from keras_multimodal.cli import main
from keras_multimodal.errors import SpecError
from keras_multimodal.export.serving import raw_signature
from keras_multimodal.export.serving import serving_name

from serving_client import serve_in_fresh_process


def test_serving_names_are_valid_signature_names():
    assert serving_name("Review Text") == "Review_Text"
    assert serving_name("age") == "age"
    assert serving_name("_x") == "c_x"


def test_signature_lists_every_raw_column(demo_run):
    signature = raw_signature(demo_run.spec)
    assert signature == {
        "image_file": ("image", "image_file"),
        "note": ("text", "note"),
        "age": ("numeric", "age"),
        "temperature": ("numeric", "temperature"),
        "spo2": ("numeric", "spo2"),
        "crp": ("numeric", "crp"),
        "sex": ("categorical", "sex"),
        "smoker": ("categorical", "smoker"),
    }


def test_saved_model_loads_with_tensorflow_alone_and_matches(demo_run, demo_root, tmp_path, capsys):
    table = pd.read_csv(demo_root / "demo.csv", keep_default_na=False, dtype=str).head(60)
    # Rows with a missing modality of each kind must be served, not rejected.
    table.loc[0, "image_file"] = ""
    table.loc[1, "note"] = ""
    table.loc[2, ["age", "temperature", "spo2", "crp", "sex", "smoker"]] = ""
    table.to_csv(tmp_path / "rows.csv", index=False)
    # `kmm export` into TF Serving's <base>/<version> layout writes the same model again.
    exported = tmp_path / "models" / "demo" / "1"
    assert main(["export", str(demo_run.path), "--out", str(exported)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(exported)
    (served, again), modules = serve_in_fresh_process(
        [demo_run.path / "serving", exported], demo_run.spec, tmp_path / "rows.csv", demo_root, tmp_path
    )
    assert "keras_multimodal" not in modules
    expected = demo_run.predict(pd.read_csv(tmp_path / "rows.csv"))
    np.testing.assert_allclose(served["score"], expected["score"].to_numpy(), rtol=0, atol=1e-5)
    assert np.all(np.isfinite(served["score"]))
    assert served["label"] == expected["label"].tolist()
    assert again == served


def test_columns_that_would_share_a_serving_input_are_a_spec_error(tri_modal_spec):
    spec = tri_modal_spec.spec({"inputs.notes.column": "age"})  # text here, numeric in labs
    with pytest.raises(SpecError, match="'age'"):
        raw_signature(spec)
    spec = tri_modal_spec.spec({"inputs.notes.column": "sex"})
    with pytest.raises(SpecError, match="inputs.labs"):
        raw_signature(spec)
    spec = tri_modal_spec.spec({"inputs.notes.column": "Review Text", "inputs.labs.categorical": ["Review_Text"]})
    with pytest.raises(SpecError, match="Review_Text"):
        raw_signature(spec)
