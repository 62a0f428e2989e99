"""Every spec error names the field path, what was expected and what was found."""

import pytest

from keras_multimodal.errors import SpecError
from keras_multimodal.specs import components
from keras_multimodal.specs import load_spec

DELETE = object()


@pytest.fixture
def tri_modal(tri_modal_spec):
    """Spec-only: these tests never read the table or the images."""
    return tri_modal_spec


def spec_error(tri_modal, changes=None, **sections):
    changes = {k: (tri_modal.DELETE if v is DELETE else v) for k, v in (changes or {}).items()}
    path = tri_modal.write_spec(tri_modal.raw(changes, **sections))
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    error = caught.value
    assert str(error).startswith(f"{path}: "), "the message names the spec file"
    return error


def check(error, field, *fragments):
    assert error.field == field, str(error)
    message = str(error)
    if field:
        assert f": {field}: " in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


# -- (changes, field, fragments...) ---------------------------------------------------

CASES = {
    # top level
    "unknown_top_key": ({"trainig": {"epochs": 1}}, "trainig", "unknown key (did you mean 'training' or 'pretrain' or 'tuning'?)", "valid keys: data, inputs, model, name, pretrain, split, target, training, tuning, zero_shot"),
    "name_missing": ({"name": DELETE}, "name", "is required (expected a string)"),
    "name_with_space": ({"name": "my run"}, "name", "expected letters, digits", "found 'my run'"),
    "name_slash": ({"name": "a/b"}, "name", "found 'a/b'"),
    "name_list": ({"name": ["a"]}, "name", "expected a string, found ['a'] (list)"),
    "name_empty": ({"name": "  "}, "name", "expected a non-empty string"),
    "data_missing": ({"data": DELETE}, "data", "is required (expected a mapping)"),
    "data_list": ({"data": ["table.csv"]}, "data", "expected a mapping, found ['table.csv'] (list)"),
    "target_missing": ({"target": DELETE}, "target", "is required (expected a mapping)"),
    "inputs_missing": ({"inputs": DELETE}, "inputs", "is required (expected a mapping)"),
    "inputs_empty": ({"inputs": {}}, "inputs", "expected at least one input"),
    "inputs_list": ({"inputs": ["xray"]}, "inputs", "expected a mapping, found ['xray'] (list)"),
    # data
    "data_unknown_key": ({"data.tabel": "x.csv"}, "data.tabel", "did you mean 'table'", "valid keys:"),
    "data_table_missing": ({"data.table": DELETE}, "data.table", "is required (expected a string)"),
    "data_table_suffix": ({"data.table": "table.xlsx"}, "data.table", "expected a .csv, .parquet or .jsonl file, found 'table.xlsx'"),
    "data_root_number_list": ({"data.root": [1]}, "data.root", "expected a string, found [1] (list)"),
    "data_root_nul": ({"data.root": "a\x00b"}, "data.root", "expected a folder path"),
    "data_id_empty": ({"data.id": ""}, "data.id", "expected a non-empty string"),
    "data_limit_zero": ({"data.limit": 0}, "data.limit", "expected a value >= 1, found 0"),
    "data_limit_text": ({"data.limit": "ten"}, "data.limit", "expected an integer, found 'ten' (str)"),
    "data_limit_float": ({"data.limit": 2.5}, "data.limit", "expected an integer, found 2.5 (float)"),
    "data_limit_bool": ({"data.limit": True}, "data.limit", "expected an integer, found True (bool)"),
    "on_bad_rows": ({"data.on_bad_rows": "drop"}, "data.on_bad_rows", "expected one of error, skip, found 'drop'"),
    "on_bad_rows_close": ({"data.on_bad_rows": "skipp"}, "data.on_bad_rows", "found 'skipp' (did you mean 'skip'?)"),
    "where_list": ({"data.where": ["sex"]}, "data.where", "expected a mapping, found ['sex'] (list)"),
    "where_empty_values": ({"data.where": {"sex": []}}, "data.where.sex", "expected a non-empty list of values"),
    "where_null_values": ({"data.where": {"sex": None}}, "data.where.sex", "expected a non-empty list of values"),
    "where_scalar": ({"data.where": {"sex": "F"}}, "data.where.sex", "expected a list, found 'F' (str)"),
    "exclude_scalar": ({"data.exclude": {"sex": 1}}, "data.exclude.sex", "expected a list, found 1 (int)"),
    "where_item_null": ({"data.where": {"sex": ["F", None]}}, "data.where.sex[1]", "expected a value (text or a number), found nothing (null)"),
    "exclude_item_list": ({"data.exclude": {"sex": [["F"]]}}, "data.exclude.sex[0]", "found ['F'] (list)"),
    "na_values_item_mapping": ({"data.na_values": ["?", {"x": 1}]}, "data.na_values[1]", "found {'x': 1} (dict)"),
    "na_values_scalar": ({"data.na_values": "?"}, "data.na_values", "expected a list, found '?' (str)"),
    "join_not_list": ({"data.join": {"table": "x.csv", "on": "pid"}}, "data.join", "expected a list"),
    "join_unknown_key": ({"data.join": [{"tabel": "x.csv", "on": "pid"}]}, "data.join[0].tabel", "did you mean 'table'"),
    "join_no_on": ({"data.join": [{"table": "x.csv"}]}, "data.join[0].on", "is required (expected a list of strings)"),
    "join_second": ({"data.join": [{"table": "x.csv", "on": "pid"}, "y.csv"]}, "data.join[1]", "expected a mapping, found 'y.csv' (str)"),
    "join_on_item": ({"data.join": [{"table": "x.csv", "on": ["pid", {"a": 1}]}]}, "data.join[0].on[1]", "expected a string, found {'a': 1} (dict)"),
    "generate_name": ({"data.generate": {"name": "other"}}, "data.generate.name", "expected one of demo, found 'other'"),
    "generate_rows": ({"data.generate": {"name": "demo", "rows": 10}}, "data.generate.rows", "expected a value >= 50, found 10"),
    # target
    "target_unknown": ({"target.colum": "x"}, "target.colum", "did you mean 'column'"),
    "task_missing": ({"target.task": DELETE}, "target.task", "is required (expected a string)"),
    "task_misspelt": ({"target.task": "binray"}, "target.task", "expected one of binary, multiclass, multilabel, regression, found 'binray' (did you mean 'binary'?)"),
    "binary_needs_positive": ({"target.positive": DELETE}, "target.positive", "a binary target needs `positive: [values]` (or exactly two `classes`)"),
    "binary_three_classes": ({"target.positive": DELETE, "target.classes": ["a", "b", "c"]}, "target.positive", "binary target needs `positive"),
    "positive_not_in_classes": ({"target.classes": ["mild", "severe"], "target.positive": ["Severe"]}, "target.positive", "['Severe'] not among target.classes ['mild', 'severe']"),
    "positive_scalar": ({"target.positive": "severe"}, "target.positive", "expected a list, found 'severe' (str)"),
    "column_missing": ({"target.column": DELETE}, "target.column", "a binary target needs one `column:`"),
    "binary_with_columns": ({"target.columns": ["a", "b"]}, "target.column", "`columns:` is for multilabel"),
    "multilabel_with_column": ({"target.task": "multilabel", "target.positive": DELETE}, "target.columns", "multilabel needs `columns:` with at least two binary columns"),
    "multilabel_one_column": ({"target.task": "multilabel", "target.column": DELETE, "target.columns": ["tag_a"], "target.positive": DELETE}, "target.columns", "at least two"),
    "multilabel_column_and_columns": ({"target.task": "multilabel", "target.columns": ["tag_a", "tag_b"], "target.positive": DELETE}, "target.columns", "multilabel needs `columns:`"),
    "multiclass_positive": ({"target.task": "multiclass", "target.column": "grade"}, "target.positive", "`positive` applies to binary and multilabel targets, not multiclass"),
    "regression_positive": ({"target.task": "regression", "target.column": "score"}, "target.positive", "not regression"),
    "regression_classes": ({"target.task": "regression", "target.column": "score", "target.positive": DELETE, "target.classes": [1, 2]}, "target.classes", "a regression target has no classes"),
    "classes_repeat": ({"target.classes": ["mild", "severe", "mild"]}, "target.classes", "classes repeat: ['mild', 'severe', 'mild']"),
    "classes_repeat_normalised": ({"target.task": "multiclass", "target.column": "grade", "target.positive": DELETE, "target.classes": [1, 1.0]}, "target.classes", "classes repeat: ['1', '1']"),
    "classes_item_mapping": ({"target.classes": [{"a": 1}, "severe"]}, "target.classes[0]", "expected a value (text or a number), found {'a': 1} (dict)"),
    "positive_item_null": ({"target.positive": ["severe", None]}, "target.positive[1]", "expected a value (text or a number), found nothing (null)"),
    "positive_item_list": ({"target.positive": [["severe"]]}, "target.positive[0]", "found ['severe'] (list)"),
    "target_missing_choice": ({"target.missing": "skip"}, "target.missing", "expected one of drop, error, found 'skip'"),
    # target columns are never inputs
    "target_as_tabular": ({"inputs.labs.numeric": ["age", "outcome"]}, "inputs.labs", "column 'outcome' is the target: it would leak the label"),
    "target_as_text": ({"inputs.notes.column": "outcome"}, "inputs.notes", "column 'outcome' is the target"),
    "multilabel_target_as_input": ({"target.task": "multilabel", "target.column": DELETE, "target.columns": ["tag_a", "sex"], "target.positive": DELETE}, "inputs.labs", "column 'sex' is the target"),
    # inputs: common
    "input_not_mapping": ({"inputs.xray": "image"}, "inputs.xray", "expected a mapping with `type:` (image, text, tabular), found 'image'"),
    "input_bad_name": ({"inputs": {"x ray": {"type": "text", "column": "note"}}}, "inputs.x ray", "input names take letters, digits, '_' and '-'"),
    "input_dotted_name": ({"inputs": {"a.b": {"type": "text", "column": "note"}}}, "inputs.a.b", "input names take"),
    "input_type_missing": ({"inputs.notes.type": DELETE}, "inputs.notes.type", "is required (expected a string)"),
    "input_type_misspelt": ({"inputs.xray.type": "images"}, "inputs.xray.type", "expected one of image, text, tabular, found 'images' (did you mean 'image'?)"),
    "required_not_bool": ({"inputs.xray.required": "always"}, "inputs.xray.required", "expected true or false, found 'always' (str)"),
    "key_of_other_modality": ({"inputs.notes.size": [8, 8]}, "inputs.notes.size", "unknown key", "valid keys: column, max_tokens, required, sequence_length, standardize, type"),
    # text
    "sequense_length": ({"inputs.notes.sequense_length": 64}, "inputs.notes.sequense_length", "unknown key (did you mean 'sequence_length'?)"),
    "max_token": ({"inputs.notes.max_token": 64}, "inputs.notes.max_token", "did you mean 'max_tokens'"),
    "sequence_length_zero": ({"inputs.notes.sequence_length": 0}, "inputs.notes.sequence_length", "expected a value >= 1, found 0"),
    "sequence_length_big": ({"inputs.notes.sequence_length": 5000}, "inputs.notes.sequence_length", "expected a value <= 4096, found 5000"),
    "sequence_length_text": ({"inputs.notes.sequence_length": "long"}, "inputs.notes.sequence_length", "expected an integer, found 'long' (str)"),
    "max_tokens_small": ({"inputs.notes.max_tokens": 5}, "inputs.notes.max_tokens", "expected a value >= 10, found 5"),
    "standardize": ({"inputs.notes.standardize": "lowercase"}, "inputs.notes.standardize", "found 'lowercase'", "lower_and_strip_punctuation"),
    "text_column_missing": ({"inputs.notes.column": DELETE}, "inputs.notes.column", "is required (expected a string)"),
    # image
    "image_column_missing": ({"inputs.xray.column": DELETE}, "inputs.xray.column", "is required (expected a string)"),
    "size_one": ({"inputs.xray.size": [16]}, "inputs.xray.size", "expected [height, width] integers between 8 and 2048, found [16]"),
    "size_three": ({"inputs.xray.size": [16, 16, 3]}, "inputs.xray.size", "found [16, 16, 3]"),
    "size_small": ({"inputs.xray.size": [4, 16]}, "inputs.xray.size", "between 8 and 2048, found [4, 16]"),
    "size_big": ({"inputs.xray.size": [16, 4096]}, "inputs.xray.size", "found [16, 4096]"),
    "size_float": ({"inputs.xray.size": [16.0, 16]}, "inputs.xray.size", "found [16.0, 16]"),
    "size_text": ({"inputs.xray.size": ["16", 16]}, "inputs.xray.size", "found ['16', 16]"),
    "size_bool": ({"inputs.xray.size": [True, 16]}, "inputs.xray.size", "found [True, 16]"),
    "size_scalar": ({"inputs.xray.size": 16}, "inputs.xray.size", "expected a list, found 16 (int)"),
    "channels_two": ({"inputs.xray.channels": 2}, "inputs.xray.channels", "expected 1 (grey) or 3 (RGB), found 2"),
    "channels_four": ({"inputs.xray.channels": 4}, "inputs.xray.channels", "found 4"),
    "channels_text": ({"inputs.xray.channels": "rgb"}, "inputs.xray.channels", "expected an integer, found 'rgb' (str)"),
    "template_no_braces": ({"inputs.xray.path_template": "images/x.png"}, "inputs.xray.path_template", "expected exactly one '{}' for the column value, found 'images/x.png'"),
    "template_two": ({"inputs.xray.path_template": "{}/{}"}, "inputs.xray.path_template", "found '{}/{}'"),
    "template_named": ({"inputs.xray.path_template": "{dir}/{}"}, "inputs.xray.path_template", "found '{dir}/{}'"),
    "template_numbered": ({"inputs.xray.path_template": "{1}/{}"}, "inputs.xray.path_template", "found '{1}/{}'"),
    "template_unbalanced": ({"inputs.xray.path_template": "images/{}{"}, "inputs.xray.path_template", "found 'images/{}{'"),
    "template_escaped_only": ({"inputs.xray.path_template": "img{{}}.png"}, "inputs.xray.path_template", "found 'img{{}}.png'"),
    "max_pixels_zero": ({"inputs.xray.max_pixels": 0}, "inputs.xray.max_pixels", "expected a value >= 1, found 0"),
    "augment_unknown": ({"inputs.xray.augment": {"flipp": "horizontal"}}, "inputs.xray.augment.flipp", "did you mean 'flip'"),
    "augment_flip": ({"inputs.xray.augment": {"flip": "sideways"}}, "inputs.xray.augment.flip", "expected one of horizontal, vertical, horizontal_and_vertical, found 'sideways'"),
    "augment_rotation": ({"inputs.xray.augment": {"rotation": 2}}, "inputs.xray.augment.rotation", "expected a value <= 1.0, found 2"),
    "augment_zoom_text": ({"inputs.xray.augment": {"zoom": "a lot"}}, "inputs.xray.augment.zoom", "expected a number, found 'a lot' (str)"),
    "augment_list": ({"inputs.xray.augment": ["flip"]}, "inputs.xray.augment", "expected a mapping, found ['flip'] (list)"),
    # tabular
    "tabular_empty": ({"inputs.labs.numeric": DELETE, "inputs.labs.categorical": DELETE}, "inputs.labs", "a tabular input needs `numeric:` and/or `categorical:` columns"),
    "tabular_both": ({"inputs.labs.categorical": ["sex", "age"]}, "inputs.labs", "columns listed as both numeric and categorical: ['age']"),
    "tabular_numeric_item": ({"inputs.labs.numeric": ["age", None]}, "inputs.labs.numeric[1]", "expected a string, found nothing (null)"),
    "tabular_column_key": ({"inputs.labs.column": "age"}, "inputs.labs.column", "unknown key", "valid keys: categorical, numeric, required, strict, type"),
    "tabular_strict": ({"inputs.labs.strict": "yes please"}, "inputs.labs.strict", "expected true or false, found 'yes please' (str)"),
    # split
    "split_not_mapping": ({"split": "random"}, "split", "expected a mapping, found 'random' (str)"),
    "split_two_forms": ({"split": {"group_by": "patient", "hash": "patient"}}, "split", "choose one of group_by, column or hash, found group_by, hash"),
    "split_three_forms": ({"split": {"group_by": "patient", "column": "fold", "hash": "pid"}}, "split", "found group_by, column, hash"),
    "split_column_and_test": ({"split": {"column": "fold", "test": 0.2}}, "split.test", "`split.column` takes the split from the data; drop this key"),
    "split_column_and_seed": ({"split": {"column": "fold", "seed": 3}}, "split.seed", "`split.column` takes the split from the data"),
    "split_column_and_val": ({"split": {"column": "fold", "val": 0.1}}, "split.val", "drop this key"),
    "split_test_zero": ({"split.test": 0}, "split.test", "expected a fraction > 0 so that the model can be tested"),
    "split_hash_test_zero": ({"split": {"hash": "pid", "test": 0.0}}, "split.test", "expected a fraction > 0"),
    "split_test_big": ({"split.test": 0.95}, "split.test", "expected a value <= 0.9, found 0.95"),
    "split_val_negative": ({"split.val": -0.1}, "split.val", "expected a value >= 0.0, found -0.1"),
    "split_sum": ({"split.test": 0.6, "split.val": 0.5}, "split", "test + val must leave rows for training, found 0.6 + 0.5"),
    "split_sum_exactly_one": ({"split.test": 0.5, "split.val": 0.5}, "split", "test + val must leave rows"),
    "split_test_text": ({"split.test": "20%"}, "split.test", "expected a number, found '20%' (str)"),
    "split_unknown": ({"split.seeds": 3}, "split.seeds", "did you mean 'seed'"),
    "split_group_by_list": ({"split": {"group_by": ["patient"]}}, "split.group_by", "expected a string, found ['patient'] (list)"),
    "split_seed_float": ({"split.seed": 1.5}, "split.seed", "expected an integer, found 1.5 (float)"),
    # model
    "model_unknown": ({"model.fussion": "concat"}, "model.fussion", "did you mean 'fusion'"),
    "model_list": ({"model": ["concat"]}, "model", "expected a mapping, found ['concat'] (list)"),
    "fusion_unknown": ({"model.fusion": "concatenate"}, "model.fusion", "unknown name 'concatenate' (did you mean 'concat'?); valid: concat"),
    "fusion_far": ({"model.fusion": "zzz"}, "model.fusion", "unknown name 'zzz'; valid: concat"),
    "fusion_list": ({"model.fusion": ["concat"]}, "model.fusion", "expected a string, found ['concat'] (list)"),
    "encoder_list": ({"model.encoders.xray": ["cnn"]}, "model.encoders.xray", "expected a string, found ['cnn'] (list)"),
    "encoder_empty": ({"model.encoders.xray": ""}, "model.encoders.xray", "expected a non-empty string"),
    "fusion_dict_without_name": ({"model.fusion": {"units": 3}}, "model.fusion.name", "is required (expected a string)"),
    "encoder_unknown": ({"model.encoders.xray": "resnet"}, "model.encoders.xray", "unknown name 'resnet'; valid: cnn"),
    "encoder_close": ({"model.encoders.notes": {"name": "lstn"}}, "model.encoders.notes", "unknown name 'lstn' (did you mean 'lstm' or 'bilstm'?); valid: lstm"),
    "encoder_wrong_modality": ({"model.encoders.xray": "lstm"}, "model.encoders.xray", "unknown name 'lstm'; valid: cnn"),
    "encoder_no_name": ({"model.encoders.notes": {"units": 8}}, "model.encoders.notes.name", "is required (expected a string)"),
    "encoder_for_unknown_input": ({"model.encoders.xrya": "cnn"}, "model.encoders.xrya", "no such input (did you mean 'xray'?); inputs: xray, notes, labs"),
    "encoders_list": ({"model.encoders": ["cnn"]}, "model.encoders", "expected a mapping, found ['cnn'] (list)"),
    "dropout": ({"model.dropout": 0.95}, "model.dropout", "expected a value <= 0.9, found 0.95"),
    "l2_huge_int": ({"model.l2": 10**400}, "model.l2", "expected a finite number"),
    "hidden_units": ({"model.hidden_units": 0}, "model.hidden_units", "expected a value >= 1, found 0"),
    # training
    "training_unknown": ({"training.epoch": 3}, "training.epoch", "unknown key (did you mean 'epochs'?)"),
    "epochs_zero": ({"training.epochs": 0}, "training.epochs", "expected a value >= 1, found 0"),
    "batch_size_text": ({"training.batch_size": "32"}, "training.batch_size", "expected an integer, found '32' (str)"),
    "learning_rate_text": ({"training.learning_rate": "fast"}, "training.learning_rate", "expected a number, found 'fast' (str)"),
    "learning_rate_nan": ({"training.learning_rate": float("nan")}, "training.learning_rate", "expected a finite number, found nan"),
    "learning_rate_inf": ({"training.learning_rate": float("inf")}, "training.learning_rate", "expected a finite number, found inf"),
    "learning_rate_zero": ({"training.learning_rate": 0}, "training.learning_rate", "expected a value >= 1e-08, found 0"),
    "optimizer": ({"training.optimizer": "adamm"}, "training.optimizer", "expected one of adam, adamw, sgd, rmsprop, found 'adamm' (did you mean 'adam' or 'adamw'?)"),
    "baselines": ({"training.baselines": "sometimes"}, "training.baselines", "expected true or false, found 'sometimes' (str)"),
    "class_weight": ({"training.class_weight": "balance"}, "training.class_weight", "did you mean 'balanced'"),
    "patience_negative": ({"training.patience": -1}, "training.patience", "expected a value >= 0, found -1"),
}


@pytest.mark.parametrize("changes, field, fragments", [(c, f, fr) for c, f, *fr in CASES.values()], ids=list(CASES))
def test_field_errors(tri_modal, changes, field, fragments):
    check(spec_error(tri_modal, changes), field, *fragments)


def test_message_format_is_file_field_message(tri_modal):
    error = spec_error(tri_modal, {"training.epochs": "many"})
    path = tri_modal.folder / "spec.yaml"
    assert str(error) == f"{path}: training.epochs: expected an integer, found 'many' (str)"
    assert error.source == str(path)
    assert error.message == "expected an integer, found 'many' (str)"


def test_unknown_key_lists_valid_keys_when_nothing_is_close(tri_modal):
    error = spec_error(tri_modal, {"inputs.notes.zzzz": 1})
    assert error.field == "inputs.notes.zzzz"
    assert "did you mean" not in str(error)
    assert str(error).endswith("unknown key; valid keys: column, max_tokens, required, sequence_length, standardize, type")


def test_long_values_are_shortened(tri_modal):
    error = spec_error(tri_modal, {"training.epochs": "x" * 1000})
    assert len(str(error)) < 400
    assert error.field == "training.epochs"


def test_valid_encoder_names_come_from_the_registry_names(tri_modal):
    error = spec_error(tri_modal, {"model.encoders.labs": "lstm"})
    assert error.field == "model.encoders.labs"
    assert str(error).endswith("valid: " + ", ".join(components.ENCODERS["tabular"]))
    error = spec_error(tri_modal, {"model.fusion": "atention"})
    assert str(error).endswith("valid: " + ", ".join(components.FUSIONS))


# -- valid variants (the checks do not refuse good specs) -----------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"split": {"group_by": "patient", "test": 0.25, "val": 0.1, "seed": 3}},
        {"split": {"column": "fold"}},
        {"split": {"hash": "patient"}},
        {"split": {"hash": "patient", "val": 0.05}},
        {"split": None},
        {"target.classes": ["mild", "severe"], "target.positive": DELETE},
        {"target.task": "multiclass", "target.column": "grade", "target.positive": DELETE, "target.classes": ["a", "b", "c"]},
        {"target.task": "multilabel", "target.column": DELETE, "target.columns": ["tag_a", "tag_b"], "target.positive": DELETE},
        {"target.task": "multilabel", "target.column": DELETE, "target.columns": ["tag_a", "tag_b"], "target.positive": [1, "yes"]},
        {"target.task": "regression", "target.column": "score", "target.positive": DELETE},
        {"inputs.xray.path_template": "{}"},
        {"inputs.xray.path_template": "images/{}.png"},
        {"inputs.xray.path_template": "images/{{raw}}/{}"},
        {"inputs.xray.size": [8, 2048], "inputs.xray.channels": 3},
        {"inputs.labs.numeric": "age", "inputs.labs.categorical": DELETE},
        {"inputs.labs.numeric": DELETE},
        {"inputs.xray.augment": {"flip": "horizontal", "rotation": 0.1, "zoom": 0, "contrast": 1}},
        {"inputs.notes.required": True, "inputs.notes.standardize": "none"},
        {"model": None, "training": None},
        {"model.fusion": {"name": "concat"}},
        {"model.fusion": None, "model.encoders.xray": None},
        {"data.where": {"sex": ["F", "M"]}, "data.exclude": {"age": [20, 21.0, "22"]}, "data.na_values": ["?", -1]},
        {"data.join": [{"table": "labs.csv", "on": "patient"}], "data.limit": 5, "data.on_bad_rows": "skip"},
        {"name": "Run_1.v2-final"},
        {"training.learning_rate": 1, "training.class_weight": "balanced", "training.optimizer": "sgd"},
    ],
)
def test_valid_variants_load(tri_modal, changes):
    changes = {k: (tri_modal.DELETE if v is DELETE else v) for k, v in changes.items()}
    spec = tri_modal.spec(changes)
    assert spec.name


def test_typed_values_of_variants(tri_modal):
    spec = tri_modal.spec({"data.where": {"sex": ["F"], "age": [20, 21.0, "22"]}, "target.positive": ["severe", 1, 2.0, True]})
    assert spec.data.where == {"sex": ("F",), "age": ("20", "21", "22")}
    assert spec.target.positive == ("severe", "1", "2", "true")
    spec = tri_modal.spec({"split": {"group_by": "patient"}})
    assert (spec.split.kind, spec.split.column, spec.split.test, spec.split.val) == ("group_by", "patient", 0.2, 0.1)
    spec = tri_modal.spec({"split": {"column": "fold"}})
    assert (spec.split.kind, spec.split.column) == ("column", "fold")
    spec = tri_modal.spec({"target.task": "multilabel", "target.column": tri_modal.DELETE, "target.columns": ["tag_a", "tag_b"], "target.positive": tri_modal.DELETE})
    assert spec.target.target_columns == ("tag_a", "tag_b") and spec.target.column is None
    spec = tri_modal.spec({"inputs.labs.numeric": "age"})
    assert spec.inputs["labs"].numeric == ("age",)


def test_null_choices_mean_the_defaults(tri_modal):
    spec = tri_modal.spec({"model.fusion": None, "model.encoders.xray": None})
    assert spec.model.fusion.name == "concat"
    assert spec.model.encoders["xray"].name == "cnn"


def test_encoder_option_names_must_be_identifiers(tri_modal):
    error = spec_error(tri_modal, {"model.encoders.notes": {"name": "lstm", 1: 2}})
    check(error, "model.encoders.notes.1", "expected an option name (letters, digits and '_'), found 1")


def test_yes_and_no_are_text_in_values_but_booleans_in_switches(tri_modal):
    text = tri_modal.write_spec().read_text()
    text = text.replace("  - severe", "  - yes").replace("  epochs: 1", "  epochs: 1\n  baselines: no")
    text = text.replace("  column: outcome", "  column: tag_b").replace("    channels: 1", "    channels: 1\n    required: Yes")
    path = tri_modal.write_spec(text=text)
    spec = load_spec(path)
    assert spec.target.positive == ("yes",)
    assert spec.training.baselines is False
    assert spec.inputs["xray"].required is True
    assert load_spec(path, overrides=["training.baselines=on"]).training.baselines is True
    assert load_spec(path, overrides=["data.where={tag_a: [no, off]}"]).data.where == {"tag_a": ("no", "off")}


def test_with_inputs_keeps_a_valid_subset(tri_modal):
    spec = tri_modal.spec()
    only = spec.with_inputs(["notes"])
    assert list(only.inputs) == ["notes"]
    assert list(only.model.encoders) == ["notes"]
    assert only.data.root == spec.data.root
