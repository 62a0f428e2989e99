"""The SavedModel in `serving/` takes raw columns and matches the in-memory model."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from keras_multimodal.export.serving import raw_signature
from keras_multimodal.export.serving import serving_name


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


def test_saved_model_loads_with_tensorflow_alone_and_matches(demo_run, demo_root, tmp_path):
    table = pd.read_csv(demo_root / "demo.csv", keep_default_na=False, dtype=str).head(60)
    # Rows with a missing modality of each kind must be served, not rejected.
    table.loc[0, "image_file"] = ""
    table.loc[1, "note"] = ""
    table.loc[2, ["age", "temperature", "spo2", "crp", "sex", "smoker"]] = ""
    table.to_csv(tmp_path / "rows.csv", index=False)
    script = textwrap.dedent(
        f"""
        import json, sys
        import numpy as np, pandas as pd, tensorflow as tf
        rows = pd.read_csv({str(tmp_path / 'rows.csv')!r}, keep_default_na=False, dtype=str)
        root = {str(demo_root)!r}
        fn = tf.saved_model.load({str(demo_run.path / 'serving')!r}).signatures["serving_default"]
        def number(column):
            return tf.constant(pd.to_numeric(rows[column].replace("", np.nan)).astype("float32").to_numpy())
        images = [open(root + "/" + p, "rb").read() if p else b"" for p in rows["image_file"]]
        out = fn(image_file=tf.constant(images), note=tf.constant(rows["note"].tolist()),
                 age=number("age"), temperature=number("temperature"), spo2=number("spo2"), crp=number("crp"),
                 sex=tf.constant(rows["sex"].tolist()), smoker=tf.constant(rows["smoker"].tolist()))
        print(json.dumps({{"score": out["score"].numpy().tolist(),
                           "label": [x.decode() for x in out["label"].numpy()],
                           "keras_multimodal": "keras_multimodal" in sys.modules}}))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    served = json.loads(result.stdout.strip().splitlines()[-1])
    assert served["keras_multimodal"] is False
    expected = demo_run.predict(pd.read_csv(tmp_path / "rows.csv"))
    np.testing.assert_allclose(served["score"], expected["score"].to_numpy(), atol=1e-5)
    assert np.all(np.isfinite(served["score"]))
    classes = demo_run.classes
    assert served["label"] == [classes[i] for i in expected["y_pred"]]
