"""Structural errors: always exit 2 with one line, before any training."""

import pytest
from reliability_helpers import error_line


def check(kmm, spec, *fragments, command="validate"):
    code, out, err = kmm(command, spec)
    assert code == 2, out + err
    line = error_line(err)
    for fragment in fragments:
        assert fragment in line, line
    return line


def test_malformed_yaml(tri_modal, kmm):
    spec = tri_modal.write_spec(text="name: tiny\ndata: {table: table.csv\n")
    check(kmm, spec, f"{spec}: malformed YAML: line 3, column 1")


def test_unknown_key_has_a_close_match_hint(tri_modal, kmm):
    spec = tri_modal.write_spec(tri_modal.raw({"training.epocs": 2}))
    check(kmm, spec, "training.epocs: unknown key (did you mean 'epochs'?)")


def test_missing_table(tri_modal, kmm):
    spec = tri_modal.write_spec(tri_modal.raw({"data.table": "nothing.csv"}))
    check(kmm, spec, f"{tri_modal.folder / 'nothing.csv'}: table not found")


def test_missing_column(tri_modal, kmm):
    spec = tri_modal.write_spec(tri_modal.raw({"inputs.labs.numeric": ["agee"]}))
    check(kmm, spec, "column 'agee': no column 'agee' (named in inputs.labs) (did you mean 'age'?)")


def test_zero_rows_after_filtering(tri_modal, kmm):
    spec = tri_modal.write_spec(tri_modal.raw({"data.where": {"sex": ["nobody"]}}))
    check(kmm, spec, "no rows left after data.where / data.exclude")


def test_split_that_leaves_a_split_empty(make_tri_modal, kmm):
    small = make_tri_modal("small", n=4)
    spec = small.write_spec(small.raw({"split": {"test": 0.1, "val": 0.1}, "target.positive": ["mild"]}))
    check(kmm, spec, "split is empty")


def test_val_fraction_zero_is_refused_by_the_spec(tri_modal, kmm):
    spec = tri_modal.write_spec(tri_modal.raw({"split.val": 0}))
    check(kmm, spec, "split.val: expected a fraction > 0")


def test_class_only_in_val_or_test_is_an_error(tri_modal, kmm):
    # Row r000 is the only 'moderate' and sits in the test fold.
    tri_modal.set_cell(0, "grade", "d")
    raw = tri_modal.raw({"target": {"column": "grade", "task": "multiclass"}, "split": {"column": "fold"}})
    check(kmm, tri_modal.write_spec(raw), "class 'd' is in val/test but never in train")


def test_class_only_in_train_is_a_warning(tri_modal, kmm):
    tri_modal.set_cell(2, "grade", "d")  # row r002 is in the train fold
    raw = tri_modal.raw({"target": {"column": "grade", "task": "multiclass"}, "split": {"column": "fold"}})
    code, out, err = kmm("validate", tri_modal.write_spec(raw))
    assert code == 0, err
    assert "warning: class 'd' is in train but absent from val and test" in out


@pytest.mark.parametrize("command", ["train", "compare"])
def test_structural_errors_come_before_training(tri_modal, kmm, tmp_path, command):
    spec = tri_modal.write_spec(tri_modal.raw({"inputs.labs.numeric": ["agee"]}))
    out = tmp_path / "out"
    code, _, err = kmm(command, spec, "--out", out)
    assert code == 2
    assert "no column 'agee'" in error_line(err)
    assert not out.exists()  # nothing was started, so nothing is left to resume
