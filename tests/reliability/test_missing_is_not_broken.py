"""Missing is not broken: empty cells, na_values, NaN, empty image paths and empty
texts are missing values (imputed or an absent modality), an error only with
`required: true`; an unseen category goes to the OOV bucket unless `strict: true`.
"""

import math

import numpy as np
import pytest
from reliability_helpers import error_line

from keras_multimodal.data.preprocessor import Preprocessor
from keras_multimodal.data.table import load_table
from keras_multimodal.errors import DataError

TABULAR_ONLY = {"inputs": {"labs": {"type": "tabular", "numeric": ["age", "temp"], "categorical": ["sex"]}}, "model": {}}


def row(data, row_id):
    frame = data.frame
    return frame[frame["row_id"] == row_id].iloc[0]


def test_empty_numeric_cell_is_missing(tri_modal):
    tri_modal.set_cell(7, "age", None)
    data = tri_modal.table()
    assert len(data.frame) == 40 and not data.skipped
    assert math.isnan(row(data, "r007")["labs/age"])


def test_na_values_string_is_missing(tri_modal):
    tri_modal.set_cell(7, "age", "unknown")
    tri_modal.set_cell(8, "sex", "unknown")
    data = tri_modal.table({"data.na_values": ["unknown"]})
    assert len(data.frame) == 40 and not data.skipped
    assert math.isnan(row(data, "r007")["labs/age"]) and row(data, "r008")["labs/sex"] == ""


def test_nan_is_missing(tri_modal):
    tri_modal.set_cell(7, "age", "NaN")
    tri_modal.set_cell(8, "age", "nan")
    data = tri_modal.table()
    assert not data.skipped and np.isnan(row(data, "r007")["labs/age"]) and np.isnan(row(data, "r008")["labs/age"])


def test_na_values_apply_to_numeric_parquet_columns(tri_modal):
    rows = [dict(r, age=float(r["age"]), temp=float(r["temp"])) for r in tri_modal.rows]
    rows[7]["age"] = -1.0  # the sentinel the table uses for "unknown"
    tri_modal.write_table(rows, "table.parquet")
    data = tri_modal.table({"data.table": "table.parquet", "data.na_values": [-1]})
    assert not data.skipped and math.isnan(row(data, "r007")["labs/age"])
    assert row(data, "r008")["labs/age"] == 28.0


def test_empty_image_path_is_an_absent_image(tri_modal):
    tri_modal.set_cell(7, "image_file", "")
    data = tri_modal.table()
    assert not data.skipped and row(data, "r007")["xray"] == ""
    assert data.present(tri_modal.spec().inputs["xray"]).sum() == 39


def test_empty_text_is_an_absent_text(tri_modal):
    tri_modal.set_cell(7, "note", "   ")
    data = tri_modal.table()
    assert not data.skipped and row(data, "r007")["notes"] == ""
    assert data.present(tri_modal.spec().inputs["notes"]).sum() == 39


@pytest.mark.parametrize("input_name, column", [("xray", "image_file"), ("notes", "note")])
def test_missing_value_of_a_required_input_is_an_error(tri_modal, kmm, input_name, column):
    tri_modal.set_cell(7, column, None)
    spec = tri_modal.write_spec(tri_modal.raw({f"inputs.{input_name}.required": True}))
    code, _, err = kmm("validate", spec)
    assert code == 2
    line = error_line(err)
    assert f"row r007, column '{column}': input '{input_name}' is required but absent" in line


def test_unseen_category_goes_to_the_oov_bucket(tri_modal):
    spec = tri_modal.spec(**TABULAR_ONLY)
    preprocessor = Preprocessor.fit(spec, tri_modal.table(**TABULAR_ONLY))
    frame = tri_modal.write_table([dict(tri_modal.rows[0], sex="X")], "new.csv")
    data = load_table(spec, frame=_read(frame), with_target=False, preprocessor=preprocessor)
    assert data.frame["labs/sex"].tolist() == ["X"]  # kept; the lookup maps it to the OOV index


def test_unseen_category_is_an_error_with_strict(tri_modal):
    raw = {"inputs": {"labs": dict(TABULAR_ONLY["inputs"]["labs"], strict=True)}, "model": {}}
    spec = tri_modal.spec(**raw)
    preprocessor = Preprocessor.fit(spec, tri_modal.table(**raw))
    frame = tri_modal.write_table([dict(tri_modal.rows[0], sex="X")], "new.csv")
    with pytest.raises(DataError) as caught:
        load_table(spec, frame=_read(frame), with_target=False, preprocessor=preprocessor)
    assert (caught.value.row, caught.value.column) == ("r000", "sex")
    assert "category 'X' was not seen in training (inputs.labs.strict is true; known: 'F', 'M')" in str(caught.value)


def test_strict_checks_validation_and_test_rows_against_training(tri_modal):
    from keras_multimodal.training.data_setup import prepare_data

    raw = {"inputs": {"labs": dict(TABULAR_ONLY["inputs"]["labs"], strict=True)}, "model": {}, "split": {"column": "fold"}}
    tri_modal.set_cell(0, "sex", "X")  # row r000 is in the test fold
    spec = tri_modal.spec(**raw)
    with pytest.raises(DataError) as caught:
        prepare_data(spec)
    assert (caught.value.row, caught.value.column) == ("r000", "sex")
    raw["inputs"]["labs"]["strict"] = False
    prepared = prepare_data(tri_modal.spec(**raw))
    assert "X" not in prepared.preprocessor["labs"]["categories"][0]


def _read(path):
    from keras_multimodal.data.readers import read_table

    return read_table(path)
