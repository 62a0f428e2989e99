"""load_table: reading, joining, filtering and cleaning a table for a spec (no TensorFlow)."""

import json
import os

import numpy as np
import pandas as pd
import pytest

from keras_multimodal.data.readers import read_table
from keras_multimodal.data.table import load_table
from keras_multimodal.errors import DataError
from keras_multimodal.validation import validate



def ids(data):
    return list(data.frame["row_id"])


def data_error(call):
    with pytest.raises(DataError) as caught:
        call()
    return caught.value


def edit(tri_modal, cells, name="table.csv"):
    """cells: {(row index, column): value}; rewrites the table."""
    for (index, column), value in cells.items():
        tri_modal.rows[index][column] = value
    return tri_modal.write_table(tri_modal.rows, name)


# -- a clean table --------------------------------------------------------------------


def test_clean_table(tri_modal, tmp_path):
    data = tri_modal.table()
    frame = data.frame
    assert len(frame) == 40
    assert list(frame.columns) == ["row_id", "xray", "notes", "labs/age", "labs/temp", "labs/sex"]
    assert ids(data)[:3] == ["r000", "r001", "r002"]
    assert frame["xray"][0] == str((tmp_path / "images" / "img_000.png").resolve())
    assert frame["notes"][1] == "patient 1 has no opacity"
    assert frame["labs/age"].dtype == float and frame["labs/age"][5] == 25.0
    assert frame["labs/temp"][1] == pytest.approx(36.8)
    assert list(frame["labs/sex"][:2]) == ["M", "F"]
    assert data.task == "binary"
    assert data.classes == ["mild", "severe"]
    assert data.labels.dtype == np.float32
    assert data.labels.tolist() == [1.0 if i % 3 == 0 else 0.0 for i in range(40)]
    assert data.dropped_missing_target == 0 and data.skipped == []
    assert data.groups is None  # random split: no group column
    for spec_input in tri_modal.spec().inputs.values():
        assert data.present(spec_input).all()


def test_default_row_ids_are_original_row_numbers(tri_modal):
    data = tri_modal.table({"data.id": tri_modal.DELETE, "data.where": {"sex": ["F"]}})
    assert ids(data)[:4] == ["1", "3", "5", "7"]
    assert len(data.frame) == 20


@pytest.mark.parametrize("name", ["table.parquet", "table.jsonl"])
def test_parquet_and_jsonl_read_like_csv(tri_modal, name):
    expected = tri_modal.table()
    tri_modal.write_table(name=name)
    data = tri_modal.table({"data.table": name})
    pd.testing.assert_frame_equal(data.frame, expected.frame)
    assert data.labels.tolist() == expected.labels.tolist()


def test_typed_parquet_and_jsonl_columns(tri_modal):
    rows = [dict(r, age=20 + i, temp=36.5 + i / 10, flag=float(i % 2), smoker=bool(i % 4 == 0)) for i, r in enumerate(tri_modal.rows)]
    changes = {"inputs.labs.categorical": ["sex", "smoker"], "target.column": "flag", "target.positive": [1]}
    for name in ("typed.parquet", "typed.jsonl"):
        tri_modal.write_table(rows, name)
        data = tri_modal.table(dict(changes, **{"data.table": name}))
        assert data.frame["labs/age"].tolist()[:2] == [20.0, 21.0]
        assert data.frame["labs/smoker"].tolist()[:2] == ["true", "false"]
        assert data.labels.tolist()[:4] == [0.0, 1.0, 0.0, 1.0]
        assert data.classes == ["0", "1"]


# -- filters -------------------------------------------------------------------------


def test_where_keeps_listed_values(tri_modal):
    data = tri_modal.table({"data.where": {"sex": ["F"]}})
    assert len(data.frame) == 20
    assert set(data.frame["labs/sex"]) == {"F"}


def test_exclude_drops_listed_values(tri_modal):
    data = tri_modal.table({"data.exclude": {"sex": ["F"], "pid": ["r000"]}})
    assert len(data.frame) == 19
    assert set(data.frame["labs/sex"]) == {"M"}
    assert "r000" not in ids(data)


def test_where_and_exclude_combine(tri_modal):
    data = tri_modal.table({"data.where": {"grade": ["a", "b"]}, "data.exclude": {"sex": ["M"]}})
    assert ids(data) == [f"r{i:03d}" for i in range(40) if i % 3 in (0, 1) and i % 2 == 1]


def test_filter_values_are_normalised(tri_modal):
    # the CSV holds '20', '21', '22'; the spec says 20, 21.0 and "22"
    data = tri_modal.table({"data.where": {"age": [20, 21.0, "22"]}})
    assert ids(data) == ["r000", "r001", "r002"]


def test_csv_float_text_matches_spec_integers(tri_modal):
    # pandas writes a float column as '1.0' / '0.0'; the spec says 1
    edit(tri_modal, {(i, "flag"): f"{i % 2}.0" for i in range(40)})
    data = tri_modal.table({"data.where": {"flag": [1]}})
    assert len(data.frame) == 20 and ids(data)[0] == "r001"
    data = tri_modal.table({"data.exclude": {"flag": ["1"]}})
    assert len(data.frame) == 20 and ids(data)[0] == "r000"
    data = tri_modal.table({"target.column": "flag", "target.positive": [1.0]})
    assert data.labels.sum() == 20


def test_csv_boolean_text_matches_spec_booleans(tri_modal):
    edit(tri_modal, {(i, "smoker"): str(i % 4 == 0) for i in range(40)})  # 'True' / 'False'
    assert len(tri_modal.table({"data.where": {"smoker": [True]}}).frame) == 10
    assert len(tri_modal.table({"data.exclude": {"smoker": ["true"]}}).frame) == 30


def test_yes_no_in_the_spec_stay_text(tri_modal):
    # YAML 1.1 would read `yes` as true; the table holds the text 'yes'
    path = tri_modal.write_spec(text=tri_modal.write_spec().read_text() + "\n")
    text = path.read_text().replace("  - severe", "  - yes").replace("column: outcome", "column: tag_b")
    path.write_text(text + "split: {test: 0.2, val: 0.2, seed: 1}\n")
    from keras_multimodal.specs import load_spec

    spec = load_spec(path)
    assert spec.target.positive == ("yes",)
    data = load_table(spec)
    assert data.labels.tolist() == [0.0 if i % 3 == 0 else 1.0 for i in range(40)]


def test_filter_on_missing_column_names_it(tri_modal):
    error = data_error(lambda: tri_modal.table({"data.where": {"sexx": ["F"]}}))
    assert error.column == "sexx"
    assert str(error) == f"{tri_modal.folder / 'table.csv'}, column 'sexx': no column 'sexx' (named in data.where) (did you mean 'sex'?)"
    error = data_error(lambda: tri_modal.table({"data.exclude": {"gender": ["F"]}}))
    assert "no column 'gender' (named in data.exclude)" in str(error)


def test_filter_that_keeps_nothing(tri_modal):
    error = data_error(lambda: tri_modal.table({"data.where": {"sex": ["X"]}}))
    assert "no rows left after data.where / data.exclude" in str(error)
    assert str(tri_modal.folder / "table.csv") in str(error)


def test_limit_applies_after_filters(tri_modal):
    data = tri_modal.table({"data.where": {"sex": ["F"]}, "data.limit": 5})
    assert ids(data) == ["r001", "r003", "r005", "r007", "r009"]
    assert len(tri_modal.table({"data.limit": 1000}).frame) == 40


# -- missing values --------------------------------------------------------------------


def test_na_values_mark_cells_missing(tri_modal):
    edit(tri_modal, {(3, "note"): "?", (4, "age"): "?", (5, "sex"): "N/A", (6, "temp"): "-1.0"})
    data = tri_modal.table({"data.na_values": ["?", "N/A", -1]})
    frame = data.frame.set_index("row_id")
    assert frame.loc["r003", "notes"] == ""
    assert np.isnan(frame.loc["r004", "labs/age"])
    assert frame.loc["r005", "labs/sex"] == ""
    assert np.isnan(frame.loc["r006", "labs/temp"])
    assert len(frame) == 40


def test_without_na_values_question_mark_is_data(tri_modal):
    edit(tri_modal, {(3, "note"): "?", (4, "age"): "?"})
    error = data_error(lambda: tri_modal.table())
    assert (error.row, error.column) == ("r004", "age")
    assert str(error) == f"{tri_modal.folder / 'table.csv'}, row r004, column 'age': expected a number, found '?'"


def test_blank_and_standard_na_strings_are_missing(tri_modal):
    edit(tri_modal, {(1, "note"): "   ", (2, "note"): "NA", (3, "age"): "nan", (4, "sex"): "  "})
    frame = tri_modal.table().frame.set_index("row_id")
    assert frame.loc["r001", "notes"] == "" and frame.loc["r002", "notes"] == ""
    assert np.isnan(frame.loc["r003", "labs/age"])
    assert frame.loc["r004", "labs/sex"] == ""


def test_na_values_apply_to_the_target(tri_modal):
    edit(tri_modal, {(2, "outcome"): "unknown"})
    data = tri_modal.table({"data.na_values": ["unknown"]})
    assert data.dropped_missing_target == 1 and "r002" not in ids(data)


# -- joins -----------------------------------------------------------------------------


def write_labs(tri_modal, rows, name="labs.csv"):
    return tri_modal.write_table(rows, name)


def test_join_adds_columns_by_key(tri_modal):
    write_labs(tri_modal, [{"patient": f"p{k:02d}", "crp": str(k * 10), "sex": "ignored"} for k in range(0, 20, 2)])
    data = tri_modal.table({"data.join": [{"table": "labs.csv", "on": "patient"}], "inputs.labs.numeric": ["age", "crp"]})
    frame = data.frame.set_index("row_id")
    assert len(frame) == 40
    assert frame.loc["r000", "labs/crp"] == 0.0 and frame.loc["r001", "labs/crp"] == 0.0
    assert frame.loc["r004", "labs/crp"] == 20.0
    assert np.isnan(frame.loc["r002", "labs/crp"])  # p01 has no labs row
    assert frame.loc["r000", "labs/sex"] == "M"  # the main table's column wins
    assert ids(data) == [f"r{i:03d}" for i in range(40)]  # order kept


def test_joined_columns_can_be_filtered(tri_modal):
    write_labs(tri_modal, [{"patient": f"p{k:02d}", "site": "A" if k < 5 else "B"} for k in range(20)])
    data = tri_modal.table({"data.join": [{"table": "labs.csv", "on": "patient"}], "data.where": {"site": ["A"]}})
    assert ids(data) == [f"r{i:03d}" for i in range(10)]


def test_join_keys_compare_as_normalised_text(tri_modal):
    pd.DataFrame({"age": [20, 21, 22], "crp": [1.5, 2.5, 3.5]}).to_parquet(tri_modal.folder / "labs.parquet")
    data = tri_modal.table({"data.join": [{"table": "labs.parquet", "on": "age"}], "inputs.labs.numeric": ["age", "crp"]})
    assert data.frame["labs/crp"].tolist()[:3] == [1.5, 2.5, 3.5]
    assert np.isnan(data.frame["labs/crp"][3])


def test_join_on_two_keys(tri_modal):
    write_labs(tri_modal, [{"patient": "p00", "sex": "M", "crp": "5"}, {"patient": "p00", "sex": "F", "crp": "6"}])
    data = tri_modal.table({"data.join": [{"table": "labs.csv", "on": ["patient", "sex"]}], "inputs.labs.numeric": ["crp"]})
    assert data.frame["labs/crp"].tolist()[:3] == [5.0, 6.0, pytest.approx(np.nan, nan_ok=True)]


def test_missing_join_key_joins_nothing(tri_modal):
    edit(tri_modal, {(0, "patient"): None})
    write_labs(tri_modal, [{"patient": None, "crp": "99"}, {"patient": "p00", "crp": "1"}])
    frame = tri_modal.table({"data.join": [{"table": "labs.csv", "on": "patient"}], "inputs.labs.numeric": ["crp"]}).frame
    assert np.isnan(frame["labs/crp"][0]) and frame["labs/crp"][1] == 1.0


def test_duplicate_join_keys_are_an_error(tri_modal):
    path = write_labs(tri_modal, [{"patient": "p00", "crp": "1"}, {"patient": "p01", "crp": "2"}, {"patient": "p00", "crp": "3"}])
    error = data_error(lambda: tri_modal.table({"data.join": [{"table": "labs.csv", "on": "patient"}]}))
    assert error.file == str(path.resolve())
    assert str(error) == f"{path.resolve()}: join keys ['patient'] repeat (e.g. 'p00'), so the join would duplicate rows"


def test_join_errors_name_file_and_column(tri_modal):
    error = data_error(lambda: tri_modal.table({"data.join": [{"table": "nope.csv", "on": "patient"}]}))
    assert str(error) == f"{(tri_modal.folder / 'nope.csv').resolve()}: table not found"
    write_labs(tri_modal, [{"patient_id": "p00", "crp": "1"}])
    error = data_error(lambda: tri_modal.table({"data.join": [{"table": "labs.csv", "on": "patient"}]}))
    assert error.column == "patient"
    assert "no column 'patient' (named in data.join) (did you mean 'patient_id'?)" in str(error)
    assert "labs.csv" in str(error)
    error = data_error(lambda: tri_modal.table({"data.join": [{"table": "labs.csv", "on": "patient_id"}]}))
    assert "main table" in str(error) and "no column 'patient_id' (named in data.join)" in str(error)


# -- ids and columns ---------------------------------------------------------------------


def test_duplicate_id_names_the_id(tri_modal):
    edit(tri_modal, {(9, "pid"): "r004"})
    error = data_error(lambda: tri_modal.table())
    assert error.column == "pid"
    assert str(error) == f"{tri_modal.folder / 'table.csv'}, row r004, column 'pid': row id 'r004' repeats (ids must be unique; again in table row 9)"


def test_ids_compare_normalised(tri_modal):
    edit(tri_modal, {(0, "pid"): "7", (1, "pid"): "7.0"})
    assert "row id '7' repeats" in str(data_error(lambda: tri_modal.table()))


def test_empty_id_names_the_row(tri_modal):
    edit(tri_modal, {(4, "pid"): None})
    error = data_error(lambda: tri_modal.table())
    assert (error.row, error.column) == (4, "pid")
    assert "row 4, column 'pid': empty row id" in str(error)


def test_ids_keep_leading_zeros(tri_modal):
    edit(tri_modal, {(i, "pid"): f"{i:05d}" for i in range(40)})
    assert ids(tri_modal.table())[:2] == ["00000", "00001"]


@pytest.mark.parametrize(
    "changes, column, field, hint",
    [
        ({"inputs.labs.numeric": ["agee", "temp"]}, "agee", "inputs.labs", " (did you mean 'age'?)"),
        ({"inputs.labs.categorical": ["Sex"]}, "Sex", "inputs.labs", " (did you mean 'sex'?)"),
        ({"inputs.notes.column": "notes"}, "notes", "inputs.notes", " (did you mean 'note'?)"),
        ({"inputs.xray.column": "imagefile"}, "imagefile", "inputs.xray", " (did you mean 'image_file'?)"),
        ({"target.column": "outcom"}, "outcom", "target", " (did you mean 'outcome'?)"),
        ({"data.id": "pidd"}, "pidd", "data.id", " (did you mean 'pid'?)"),
        ({"split": {"column": "flod"}}, "flod", "split.column", " (did you mean 'fold'?)"),
        ({"split": {"group_by": "patients"}}, "patients", "split.group_by", " (did you mean 'patient'?)"),
        ({"inputs.labs.numeric": ["zzzzzz"]}, "zzzzzz", "inputs.labs", ""),
    ],
)
def test_missing_column_names_it_and_a_close_match(tri_modal, changes, column, field, hint):
    error = data_error(lambda: tri_modal.table(changes))
    assert error.column == column
    assert str(error) == f"{tri_modal.folder / 'table.csv'}, column '{column}': no column '{column}' (named in {field}){hint}"


def test_missing_table(tri_modal):
    error = data_error(lambda: tri_modal.table({"data.table": "missing.csv"}))
    assert str(error) == f"{tri_modal.folder / 'missing.csv'}: table not found"


@pytest.mark.parametrize(
    "name, content, fragment",
    [
        ("empty.csv", b"", "cannot read the table"),
        ("broken.jsonl", b'{"pid": "r1"}\n{"pid": \n', "cannot read the table"),
        ("broken.parquet", b"not parquet at all", "cannot read the table"),
    ],
)
def test_unreadable_tables_name_the_file(tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_bytes(content)
    error = data_error(lambda: read_table(path))
    assert error.file == str(path)
    assert str(error).startswith(f"{path}: ") and fragment in str(error)


# -- targets -------------------------------------------------------------------------------


def test_binary_from_two_classes(tri_modal):
    data = tri_modal.table({"target.positive": tri_modal.DELETE, "target.classes": ["mild", "severe"]})
    assert data.classes == ["mild", "severe"]
    assert data.labels.sum() == 14


def test_binary_with_several_positive_values(tri_modal):
    data = tri_modal.table({"target.column": "grade", "target.positive": ["a", "c"]})
    assert data.classes == ["b", "a/c"]
    assert data.labels.tolist()[:3] == [1.0, 0.0, 1.0]


def test_binary_positive_is_normalised(tri_modal):
    data = tri_modal.table({"target.column": "tag_a", "target.positive": [1]})
    assert data.labels.tolist() == [float(i % 2) for i in range(40)]
    assert data.classes == ["0", "1"]


def test_binary_negatives_named_from_classes(tri_modal):
    data = tri_modal.table({"target.column": "grade", "target.positive": ["a"], "target.classes": ["a", "b", "c"]})
    assert data.classes == ["b/c", "a"]


def test_multiclass_classes_from_data_sorted_naturally(tri_modal):
    edit(tri_modal, {(i, "level"): str([10, 9, 2][i % 3]) for i in range(40)})
    data = tri_modal.table({"target.task": "multiclass", "target.column": "level", "target.positive": tri_modal.DELETE})
    assert data.classes == ["2", "9", "10"]
    assert data.labels.dtype == np.int32
    assert data.labels.tolist()[:3] == [2, 1, 0]


def test_multiclass_classes_in_spec_order(tri_modal):
    data = tri_modal.table({"target.task": "multiclass", "target.column": "grade", "target.positive": tri_modal.DELETE, "target.classes": ["c", "b", "a"]})
    assert data.classes == ["c", "b", "a"]
    assert data.labels.tolist()[:3] == [2, 1, 0]


def test_multiclass_needs_two_classes(tri_modal):
    error = data_error(lambda: tri_modal.table({"target.task": "multiclass", "target.column": "grade", "target.positive": tri_modal.DELETE, "data.where": {"grade": ["a"]}}))
    assert error.column == "grade"
    assert "a multiclass target needs at least two classes, found ['a']" in str(error)


MULTILABEL = {"target.task": "multilabel", "target.column": None, "target.columns": ["tag_a", "tag_b"], "target.positive": None}


def multilabel(tri_modal, **extra):
    changes = {k: (tri_modal.DELETE if v is None else v) for k, v in MULTILABEL.items()}
    changes.update(extra)
    return changes


def test_multilabel_reads_binary_words(tri_modal):
    data = tri_modal.table(multilabel(tri_modal))
    assert data.labels.shape == (40, 2) and data.labels.dtype == np.float32
    assert data.classes == ["tag_a", "tag_b"]
    assert data.labels[:, 0].tolist() == [float(i % 2) for i in range(40)]
    assert data.labels[:, 1].tolist() == [float(i % 3 != 0) for i in range(40)]


def test_multilabel_with_positive_values(tri_modal):
    data = tri_modal.table(multilabel(tri_modal, **{"target.positive": [1, "no"]}))
    assert data.labels[:, 1].tolist() == [float(i % 3 == 0) for i in range(40)]


def test_multilabel_refuses_non_binary_values(tri_modal):
    edit(tri_modal, {(6, "tag_b"): "maybe"})
    error = data_error(lambda: tri_modal.table(multilabel(tri_modal)))
    assert (error.row, error.column) == ("r006", "tag_b")
    assert "expected a binary value (1/0, yes/no, true/false), found 'maybe'" in str(error)


def test_multilabel_missing_any_column_drops_the_row(tri_modal):
    edit(tri_modal, {(6, "tag_b"): None, (7, "tag_a"): ""})
    data = tri_modal.table(multilabel(tri_modal))
    assert data.dropped_missing_target == 2 and len(data.frame) == 38


REGRESSION = {"target.task": "regression", "target.column": "score", "target.positive": None}


def regression(tri_modal):
    return {k: (tri_modal.DELETE if v is None else v) for k, v in REGRESSION.items()}


def test_regression_labels(tri_modal):
    data = tri_modal.table(regression(tri_modal))
    assert data.labels.dtype == np.float32
    assert data.labels.tolist() == [i / 2 for i in range(40)]
    assert data.classes == []


@pytest.mark.parametrize("value", ["abc", "inf", "-inf", "1,5"])
def test_regression_refuses_non_numbers(tri_modal, value):
    edit(tri_modal, {(7, "score"): value})
    error = data_error(lambda: tri_modal.table(regression(tri_modal)))
    assert (error.row, error.column) == ("r007", "score")
    assert f"expected a number for a regression target, found '{value}'" in str(error)


def test_missing_target_is_dropped_and_counted(tri_modal):
    edit(tri_modal, {(2, "outcome"): None, (5, "outcome"): "  "})
    data = tri_modal.table()
    assert data.dropped_missing_target == 2
    assert len(data.frame) == 38 and len(data.labels) == 38
    assert "r002" not in ids(data) and "r005" not in ids(data)
    assert validate(tri_modal.spec())["dropped_missing_target"] == 2


def test_missing_target_error(tri_modal):
    edit(tri_modal, {(2, "outcome"): None, (5, "outcome"): None})
    error = data_error(lambda: tri_modal.table({"target.missing": "error"}))
    assert (error.row, error.column) == ("r002", "outcome")
    assert str(error) == f"{tri_modal.folder / 'table.csv'}, row r002, column 'outcome': target is missing"


def test_all_targets_missing(tri_modal):
    edit(tri_modal, {(i, "outcome"): None for i in range(40)})
    assert "no usable rows" in str(data_error(lambda: tri_modal.table()))


def test_values_outside_classes_are_an_error(tri_modal):
    edit(tri_modal, {(4, "outcome"): "moderate"})
    error = data_error(lambda: tri_modal.table({"target.classes": ["mild", "severe"]}))
    assert (error.row, error.column) == ("r004", "outcome")
    assert "target value 'moderate' is not among target.classes ['mild', 'severe']" in str(error)
    data = tri_modal.table()  # without classes, any non-positive value is negative
    assert data.labels[4] == 0.0
    error = data_error(lambda: tri_modal.table({"target.task": "multiclass", "target.positive": tri_modal.DELETE, "target.classes": ["mild", "severe"]}))
    assert error.row == "r004"


# -- broken cells ---------------------------------------------------------------------------


def test_non_numeric_cell_names_row_and_column(tri_modal):
    edit(tri_modal, {(7, "age"): "abc"})
    error = data_error(lambda: tri_modal.table())
    assert (error.row, error.column, error.file) == ("r007", "age", str(tri_modal.folder / "table.csv"))
    assert str(error) == f"{tri_modal.folder / 'table.csv'}, row r007, column 'age': expected a number, found 'abc'"


@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity"])
def test_infinite_numbers_are_broken(tri_modal, value):
    edit(tri_modal, {(9, "temp"): value})
    error = data_error(lambda: tri_modal.table())
    assert (error.row, error.column) == ("r009", "temp")
    assert f"expected a number, found '{value}'" in str(error)


def test_numbers_with_spaces_and_exponents_are_fine(tri_modal):
    edit(tri_modal, {(1, "age"): " 42 ", (2, "age"): "1e2"})
    assert tri_modal.table().frame["labs/age"].tolist()[1:3] == [42.0, 100.0]


def test_error_counts_further_bad_cells(tri_modal):
    edit(tri_modal, {(7, "age"): "abc", (8, "temp"): "x", (9, "age"): "y"})
    error = data_error(lambda: tri_modal.table())
    assert error.row == "r007"
    assert str(error).endswith("expected a number, found 'abc' (2 more bad cells; set data.on_bad_rows: skip to drop such rows)")


def test_skip_drops_and_counts_bad_rows(tri_modal):
    edit(tri_modal, {(7, "age"): "abc", (7, "temp"): "inf", (9, "temp"): "x", (11, "image_file"): "nope.png"})
    data = tri_modal.table({"data.on_bad_rows": "skip"})
    assert len(data.frame) == 37
    assert {"r007", "r009", "r011"}.isdisjoint(ids(data))
    assert sorted((row, column) for row, column, _ in data.skipped) == [("r007", "age"), ("r007", "temp"), ("r009", "temp"), ("r011", "image_file")]
    assert len(data.labels) == 37
    summary = validate(tri_modal.spec({"data.on_bad_rows": "skip"}))
    assert summary["skipped_rows"] == 3 and summary["rows"] == 37


def test_bad_cells_of_rows_without_target_do_not_count(tri_modal):
    edit(tri_modal, {(7, "age"): "abc", (7, "outcome"): None})
    data = tri_modal.table()  # no error: row r007 is dropped for its missing target anyway
    assert data.dropped_missing_target == 1 and data.skipped == []
    data = tri_modal.table({"data.on_bad_rows": "skip"})
    assert data.dropped_missing_target == 1 and data.skipped == []


# -- images ------------------------------------------------------------------------------------


def image_error(tri_modal, value, changes=None, index=5):
    edit(tri_modal, {(index, "image_file"): value})
    error = data_error(lambda: tri_modal.table(changes))
    assert (error.row, error.column) == (f"r{index:03d}", "image_file")
    return str(error)


def test_missing_image_file(tri_modal):
    message = image_error(tri_modal, "nope.png")
    expected = tri_modal.folder.resolve() / "images" / "nope.png"
    assert message == f"{tri_modal.folder / 'table.csv'}, row r005, column 'image_file': image file not found: {expected}"


def test_truncated_jpeg(tri_modal):
    path = tri_modal.jpeg("cut.jpg", size=(64, 64))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    message = image_error(tri_modal, "cut.jpg")
    assert "unreadable image" in message and "truncated" in message
    assert message.endswith(str(path.resolve()))


def test_non_image_file(tri_modal):
    path = tri_modal.images / "notes.png"
    path.write_text("this is not a picture")
    message = image_error(tri_modal, "notes.png")
    assert "unreadable image (cannot identify image file" in message
    assert message.endswith(str(path.resolve()))


def test_folder_instead_of_image(tri_modal):
    (tri_modal.images / "sub").mkdir()
    assert "unreadable image" in image_error(tri_modal, "sub")


def test_unsupported_format(tri_modal):
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tri_modal.images / "x.tif", format="TIFF")
    assert "not a JPEG, PNG, BMP or GIF image (found TIFF)" in image_error(tri_modal, "x.tif")


def test_jpeg_bmp_and_rgb_png_are_accepted(tri_modal):
    tri_modal.jpeg("a.jpg")
    tri_modal.png("b.bmp", fmt="BMP", mode="RGB")
    tri_modal.png("c.png", mode="RGB")
    edit(tri_modal, {(0, "image_file"): "a.jpg", (1, "image_file"): "b.bmp", (2, "image_file"): "c.png"})
    frame = tri_modal.table().frame
    assert [os.path.basename(p) for p in frame["xray"][:3]] == ["a.jpg", "b.bmp", "c.png"]


def test_pixel_limit(tri_modal):
    tri_modal.png("big.png", size=(20, 10))
    message = image_error(tri_modal, "big.png", {"inputs.xray.max_pixels": 199})
    assert "image has 20x10 pixels, over the limit of 199 (max_pixels)" in message
    assert message.endswith(str((tri_modal.images / "big.png").resolve()))
    assert len(tri_modal.table({"inputs.xray.max_pixels": 200}).frame) == 40


def test_image_checks_follow_file_changes(tri_modal):
    edit(tri_modal, {(5, "image_file"): "later.png"})
    assert "image file not found" in str(data_error(lambda: tri_modal.table()))
    tri_modal.png("later.png")
    assert len(tri_modal.table().frame) == 40


@pytest.fixture
def rooted(make_tri_modal, tmp_path):
    """A dataset in tmp_path/root with a real image outside it, at tmp_path/outside.png."""
    data = make_tri_modal("root")
    data.png("../../outside.png")
    assert (tmp_path / "outside.png").is_file()
    return data


def test_image_path_escaping_the_root_is_refused(rooted):
    message = image_error(rooted, "../../outside.png")
    assert "image path 'images/../../outside.png' leaves the data root" in message
    assert str(rooted.folder.resolve()) in message


def test_dot_dot_inside_the_root_is_fine(rooted):
    edit(rooted, {(5, "image_file"): "../images/img_004.png"})
    frame = rooted.table().frame
    assert frame["xray"][5] == str(rooted.images.resolve() / "img_004.png")


def test_absolute_image_path_is_refused(rooted, tmp_path):
    edit(rooted, {(i, "image_file"): f"images/img_{i:03d}.png" for i in range(40)})  # for the template "{}"
    assert len(rooted.table({"inputs.xray.path_template": "{}"}).frame) == 40
    outside = str(tmp_path / "outside.png")
    message = image_error(rooted, outside, {"inputs.xray.path_template": "{}"})
    assert f"absolute image path {outside!r} is refused (paths are relative to the data root)" in message
    inside = str(rooted.images / "img_000.png")  # absolute, even inside the root
    assert "absolute image path" in image_error(rooted, inside, {"inputs.xray.path_template": "{}"})


def test_symlink_leaving_the_root_is_refused(rooted, tmp_path):
    os.symlink(tmp_path / "outside.png", rooted.images / "link.png")
    assert "image path 'images/link.png' leaves the data root" in image_error(rooted, "link.png")


def test_symlinked_folder_leaving_the_root_is_refused(rooted, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    rooted.png("../../elsewhere/e.png")
    os.symlink(tmp_path / "elsewhere", rooted.images / "linked_dir")
    assert "leaves the data root" in image_error(rooted, "linked_dir/e.png")


def test_symlink_inside_the_root_is_fine(rooted):
    os.symlink(rooted.images / "img_001.png", rooted.images / "alias.png")
    edit(rooted, {(5, "image_file"): "alias.png"})
    assert rooted.table().frame["xray"][5] == str((rooted.images / "img_001.png").resolve())


def test_escaping_rows_are_skipped_with_skip(rooted):
    edit(rooted, {(5, "image_file"): "../../outside.png"})
    data = rooted.table({"data.on_bad_rows": "skip"})
    assert "r005" not in ids(data) and len(data.frame) == 39
    assert data.skipped[0][:2] == ("r005", "image_file")


def test_paths_follow_the_template(tri_modal):
    (tri_modal.images / "sub").mkdir()
    tri_modal.png("sub/img_000.png.png")
    frame = tri_modal.table({"inputs.xray.path_template": "images/sub/{}.png", "data.limit": 1}).frame
    assert frame["xray"][0] == str((tri_modal.images / "sub" / "img_000.png.png").resolve())


# -- absent modalities -----------------------------------------------------------------------------


def test_empty_values_make_a_modality_absent(tri_modal):
    edit(
        tri_modal,
        {
            (1, "image_file"): None,
            (2, "note"): "",
            (3, "age"): None, (3, "temp"): None, (3, "sex"): None,
            (4, "age"): None, (4, "sex"): None,  # temp remains: present
        },
    )
    spec = tri_modal.spec()
    data = load_table(spec)
    assert len(data.frame) == 40 and data.skipped == []
    assert data.frame["xray"][1] == "" and data.frame["notes"][2] == ""
    absent = {name: [i for i, p in enumerate(data.present(s)) if not p] for name, s in spec.inputs.items()}
    assert absent == {"xray": [1], "notes": [2], "labs": [3]}
    assert validate(spec)["lacking"] == {"xray": 1, "notes": 1, "labs": 1}


@pytest.mark.parametrize(
    "name, cells, column",
    [
        ("xray", {(3, "image_file"): None}, "image_file"),
        ("notes", {(3, "note"): "  "}, "note"),
        ("labs", {(3, "age"): None, (3, "temp"): None, (3, "sex"): None}, "age,temp,sex"),
    ],
)
def test_required_input_absence_is_an_error(tri_modal, name, cells, column):
    edit(tri_modal, cells)
    assert len(tri_modal.table().frame) == 40  # optional: fine
    error = data_error(lambda: tri_modal.table({f"inputs.{name}.required": True}))
    assert (error.row, error.column) == ("r003", column)
    assert f"input '{name}' is required but absent" in str(error)


def test_required_ignores_rows_dropped_anyway(tri_modal):
    edit(tri_modal, {(3, "note"): None, (3, "outcome"): None})
    data = tri_modal.table({"inputs.notes.required": True})
    assert "r003" not in ids(data)


# -- tables given in memory (prediction) ----------------------------------------------------------


def test_external_frame_without_target_or_split_column(tri_modal):
    spec = tri_modal.spec({"split": {"column": "fold"}})
    frame = pd.DataFrame(tri_modal.rows[:3]).drop(columns=["outcome", "fold"])
    data = load_table(spec, frame=frame, with_target=False)
    assert ids(data) == ["r000", "r001", "r002"]
    assert data.labels is None and data.groups is None
    with pytest.raises(DataError) as caught:
        load_table(spec, frame=frame, with_target=True)
    assert caught.value.column == "outcome"


def test_external_frame_marks_na_values(tri_modal):
    spec = tri_modal.spec({"data.na_values": ["?"]})
    frame = pd.DataFrame(tri_modal.rows[:2], dtype=object)
    frame.loc[0, "note"] = "?"
    frame.loc[1, "age"] = 33  # numbers in memory are fine too
    data = load_table(spec, frame=frame, with_target=False)
    assert data.frame["notes"][0] == "" and data.frame["labs/age"][1] == 33.0


def test_subset_and_split_keep_rows_aligned(tri_modal):
    data = tri_modal.split_table({"split": {"group_by": "patient", "test": 0.2, "val": 0.2, "seed": 0}})
    train = data.split("train")
    assert len(train.frame) == len(train.labels) == len(train.groups)
    assert set(train.frame["split"]) == {"train"}
    original = dict(zip(ids(data), data.labels))
    assert all(original[r] == y for r, y in zip(ids(train), train.labels))
    assert list(train.groups) == [f"p{int(r[1:]) // 2:02d}" for r in ids(train)]


def test_validate_summary(tri_modal):
    summary = validate(tri_modal.spec())
    assert summary["rows"] == 40
    assert summary["rows_per_split"] == {"train": 24, "val": 8, "test": 8}
    assert summary["target_counts"] == {"mild": 26, "severe": 14}
    assert summary["dropped_missing_target"] == 0 and summary["skipped_rows"] == 0
    assert summary["table"] == str(tri_modal.folder / "table.csv")
    json.dumps(summary)  # plain types only
