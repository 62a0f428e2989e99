"""Nothing taken from a spec, a table or a model directory is executed; image paths stay in the data root."""

import re
from pathlib import Path

import pytest
import yaml
from reliability_helpers import error_line

import keras_multimodal

PACKAGE = Path(keras_multimodal.__file__).resolve().parent

# Each pattern is a way to run code or unpickle objects handed over as data.
FORBIDDEN = {
    "eval": re.compile(r"\beval\("),
    "exec": re.compile(r"\bexec\("),
    "pickle": re.compile(r"\b(c?pickle|dill|joblib|shelve|marshal)\b|read_pickle|allow_pickle\s*=\s*True"),
    "yaml.load without a safe loader": re.compile(r"yaml\.(load|load_all)\((?![^)]*Loader=_SpecLoader)|yaml\.(unsafe_load|full_load|FullLoader|UnsafeLoader)"),
    "Lambda layer": re.compile(r"\bLambda\b"),
    "unsafe Keras deserialization": re.compile(r"safe_mode\s*=\s*False|enable_unsafe_deserialization"),
    "pandas expressions": re.compile(r"\.query\(|\bpd\.eval\("),
    "compile": re.compile(r"(?<![\w.])compile\((?!\s*optimizer)"),
}


def source_lines():
    for path in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            if code.strip():
                yield f"{path.relative_to(PACKAGE.parent)}:{number}", code


def test_package_source_has_no_eval_exec_pickle_unsafe_yaml_or_lambda():
    found = [f"{where}: {name}: {code.strip()}" for where, code in source_lines() for name, pattern in FORBIDDEN.items() if pattern.search(code)]
    assert not found, "\n".join(found)


def test_the_source_check_catches_what_it_looks_for():
    bad = ["x = eval(text)", "exec(code)", "import pickle", "yaml.load(text)", "keras.layers.Lambda(f)", "load_model(p, safe_mode=False)", "frame.query(rule)"]
    assert all(any(p.search(line) for p in FORBIDDEN.values()) for line in bad)


def test_yaml_python_tags_are_refused(tri_modal, kmm, tmp_path):
    marker = tmp_path / "marker"
    text = yaml.safe_dump(tri_modal.raw()) + f"extra: !!python/object/apply:os.system ['touch {marker}']\n"
    code, _, err = kmm("validate", tri_modal.write_spec(text=text))
    assert code == 2 and "malformed YAML" in error_line(err)
    assert not marker.exists()


def test_where_and_exclude_are_values_not_expressions(tri_modal, tmp_path):
    marker = tmp_path / "marker"
    expression = f"__import__('os').system('touch {marker}')"
    tri_modal.set_cell(3, "sex", expression)
    data = tri_modal.table({"data.where": {"sex": [expression, "age > 30"]}})
    assert data.frame["row_id"].tolist() == ["r003"]  # matched as text
    data = tri_modal.table({"data.exclude": {"age": ["age > 30", "1 == 1"]}})
    assert len(data.frame) == 40
    assert not marker.exists()


@pytest.fixture
def rooted(make_tri_modal, tmp_path):
    """A TriModal whose data root is tmp_path/data, with a secret image in tmp_path/outside."""
    tri_modal = make_tri_modal("data")
    tri_modal.png("../../outside/secret.png")  # tri_modal.images is <root>/images
    secret = tmp_path / "outside" / "secret.png"
    assert secret.is_file()
    return tri_modal, secret


def refused(tri_modal, kmm, fragment, raw=None):
    code, _, err = kmm("validate", tri_modal.write_spec(raw))
    assert code == 2
    line = error_line(err)
    assert "row r007, column 'image_file'" in line and fragment in line, line


def test_dot_dot_leaving_the_root_is_refused(rooted, kmm):
    tri_modal, _ = rooted
    tri_modal.set_cell(7, "image_file", "../../outside/secret.png")
    refused(tri_modal, kmm, "leaves the data root")


def test_absolute_image_path_is_refused(rooted, kmm):
    tri_modal, secret = rooted
    for row in tri_modal.rows:  # paths relative to the root itself, so the template can be "{}"
        row["image_file"] = f"images/{row['image_file']}"
    tri_modal.set_cell(7, "image_file", str(secret))
    refused(tri_modal, kmm, "absolute image path", tri_modal.raw({"inputs.xray.path_template": "{}"}))


def test_symlink_leaving_the_root_is_refused(rooted, kmm):
    tri_modal, secret = rooted
    (tri_modal.images / "img_007.png").unlink()
    (tri_modal.images / "img_007.png").symlink_to(secret)
    refused(tri_modal, kmm, "leaves the data root")


def test_symlinked_folder_leaving_the_root_is_refused(rooted, kmm):
    tri_modal, secret = rooted
    (tri_modal.images / "linked").symlink_to(secret.parent, target_is_directory=True)
    tri_modal.set_cell(7, "image_file", "linked/secret.png")
    refused(tri_modal, kmm, "leaves the data root")


def test_models_load_in_safe_mode(tri_modal, tmp_path):
    """A model directory holding a Lambda layer (arbitrary Python) is refused."""
    import keras

    from keras_multimodal.run import Run

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "spec.yaml").write_text(yaml.safe_dump(tri_modal.raw({"data.root": str(tri_modal.folder)})))
    inputs = keras.Input((2,))
    # An anonymous function is saved as Python bytecode: loading it would run that code.
    keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2.0)(inputs)).save(run_dir / "model.keras")
    with pytest.raises(ValueError, match="safe_mode=False"):
        Run(run_dir).model
