"""load_spec: reading YAML, resolving data.root, --set overrides and **updates."""

from pathlib import Path

import pytest
import yaml

import keras_multimodal
from keras_multimodal.errors import KMMError
from keras_multimodal.errors import SpecError
from keras_multimodal.specs import DEMO_SPEC
from keras_multimodal.specs import ComponentChoice
from keras_multimodal.specs import Spec
from keras_multimodal.specs import load_spec


@pytest.fixture
def tri_modal(tri_modal_spec):
    """Spec-only: these tests never read the table or the images."""
    return tri_modal_spec


def write(path, raw=None, text=None):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(raw, sort_keys=False) if text is None else text, encoding="utf-8")
    return path


# -- a valid spec -----------------------------------------------------------------


def test_loads_typed_spec(tri_modal, tmp_path):
    path = tri_modal.write_spec()
    spec = load_spec(path)
    assert isinstance(spec, Spec)
    assert keras_multimodal.load_spec is load_spec
    assert spec.name == "tiny"
    assert spec.source == str(path)
    assert spec.data.table == "table.csv"
    assert spec.data.root == str(tmp_path.resolve())
    assert spec.data.table_path == tmp_path.resolve() / "table.csv"
    assert spec.data.id == "pid"
    assert spec.data.on_bad_rows == "error" and spec.data.limit is None
    assert spec.target.task == "binary" and spec.target.column == "outcome"
    assert spec.target.positive == ("severe",) and spec.target.missing == "drop"
    assert spec.target.target_columns == ("outcome",)
    assert (spec.split.kind, spec.split.test, spec.split.val, spec.split.seed) == ("random", 0.2, 0.2, 1)
    assert list(spec.inputs) == ["xray", "notes", "labs"]
    xray, notes, labs = spec.inputs.values()
    assert (xray.type, xray.column, xray.size, xray.channels, xray.path_template) == ("image", "image_file", (16, 16), 1, "images/{}")
    assert xray.required is False
    assert (notes.type, notes.sequence_length, notes.max_tokens) == ("text", 16, 20000)
    assert labs.columns == ("age", "temp", "sex")
    assert spec.model.fusion == ComponentChoice("concat")
    assert spec.model.encoders == {
        "xray": ComponentChoice("cnn"),
        "notes": ComponentChoice("lstm", {"units": 8}),
        "labs": ComponentChoice("mlp"),  # the default for a tabular input
    }
    assert (spec.training.epochs, spec.training.batch_size, spec.training.seed) == (1, 8, 3)
    assert isinstance(spec.training.learning_rate, float)


def test_defaults_when_sections_are_left_out(tri_modal):
    raw = tri_modal.raw()
    for key in ("split", "model", "training"):
        del raw[key]
    spec = load_spec(tri_modal.write_spec(raw))
    assert (spec.split.kind, spec.split.test, spec.split.val, spec.split.seed) == ("random", 0.2, 0.1, 0)
    assert spec.model.fusion.name == "concat"
    assert {n: c.name for n, c in spec.model.encoders.items()} == {"xray": "cnn", "notes": "lstm", "labs": "mlp"}
    assert (spec.training.epochs, spec.training.batch_size, spec.training.learning_rate) == (20, 32, 0.001)


def test_the_spec_is_frozen(tri_modal):
    spec = tri_modal.spec()
    with pytest.raises(Exception):
        spec.name = "other"
    with pytest.raises(Exception):
        spec.training.epochs = 5


def test_embedded_demo_loads_without_a_path(monkeypatch, tmp_path):
    monkeypatch.setenv("KMM_DEMO_DATA", str(tmp_path / "demo"))
    spec = load_spec()
    assert spec.name == "demo"
    assert spec.source == str(DEMO_SPEC)
    assert spec.data.root == str((tmp_path / "demo").resolve())
    assert spec.data.generate == {"name": "demo", "rows": 2000, "seed": 0, "image_size": 64}
    assert not (tmp_path / "demo").exists(), "loading a spec must not generate data"


def test_hash_is_stable_and_ignores_key_order(tri_modal):
    raw = tri_modal.raw()
    first = load_spec(tri_modal.write_spec(raw, "a.yaml"))
    reordered = dict(reversed(list(raw.items())))
    second = load_spec(tri_modal.write_spec(reordered, "b.yaml"))
    assert first.hash == second.hash
    assert len(first.hash) == 16
    third = load_spec(tri_modal.write_spec(raw, "a.yaml"), overrides=["training.epochs=2"])
    assert third.hash != first.hash


def test_raw_holds_the_resolved_root_and_overrides(tri_modal, tmp_path):
    spec = load_spec(tri_modal.write_spec(), overrides=["training.epochs=4"])
    assert spec.raw["data"]["root"] == str(tmp_path.resolve())
    assert spec.raw["training"]["epochs"] == 4
    assert "root" not in tri_modal.raw()["data"]  # the file itself is untouched
    assert "epochs: 1" in (tmp_path / "spec.yaml").read_text()


# -- data.root ---------------------------------------------------------------------


def test_root_defaults_to_the_spec_folder_not_the_cwd(tri_modal, tmp_path, monkeypatch):
    path = write(tmp_path / "specs" / "deep" / "s.yaml", tri_modal.raw())
    monkeypatch.chdir(tmp_path)
    assert load_spec(path).data.root == str((tmp_path / "specs" / "deep").resolve())
    monkeypatch.chdir(tmp_path / "specs")
    assert load_spec(Path("deep") / "s.yaml").data.root == str((tmp_path / "specs" / "deep").resolve())


def test_relative_root_is_relative_to_the_spec_folder(tri_modal, tmp_path, monkeypatch):
    path = write(tmp_path / "specs" / "s.yaml", tri_modal.raw({"data.root": "../data"}))
    monkeypatch.chdir(tmp_path / "specs")
    spec = load_spec(path)
    assert spec.data.root == str((tmp_path / "data").resolve())
    assert spec.data.table_path == (tmp_path / "data" / "table.csv").resolve()


def test_absolute_root_is_kept(tri_modal, tmp_path):
    target = tmp_path / "elsewhere"
    spec = load_spec(write(tmp_path / "s.yaml", tri_modal.raw({"data.root": str(target)})))
    assert spec.data.root == str(target.resolve())


def test_env_var_in_root(tri_modal, tmp_path, monkeypatch):
    monkeypatch.setenv("KMM_TEST_ROOT", str(tmp_path / "env_root"))
    spec = load_spec(write(tmp_path / "s.yaml", tri_modal.raw({"data.root": "${KMM_TEST_ROOT}/sub"})))
    assert spec.data.root == str((tmp_path / "env_root" / "sub").resolve())


def test_relative_env_value_is_relative_to_the_spec_folder(tri_modal, tmp_path, monkeypatch):
    monkeypatch.setenv("KMM_TEST_ROOT", "rel")
    spec = load_spec(write(tmp_path / "specs" / "s.yaml", tri_modal.raw({"data.root": "${KMM_TEST_ROOT}"})))
    assert spec.data.root == str((tmp_path / "specs" / "rel").resolve())


def test_env_default_used_when_unset(tri_modal, tmp_path, monkeypatch):
    monkeypatch.delenv("KMM_TEST_UNSET", raising=False)
    spec = load_spec(write(tmp_path / "s.yaml", tri_modal.raw({"data.root": "${KMM_TEST_UNSET:-fallback/dir}"})))
    assert spec.data.root == str((tmp_path / "fallback" / "dir").resolve())


def test_env_default_ignored_when_set(tri_modal, tmp_path, monkeypatch):
    monkeypatch.setenv("KMM_TEST_SET", str(tmp_path / "from_env"))
    spec = load_spec(write(tmp_path / "s.yaml", tri_modal.raw({"data.root": "${KMM_TEST_SET:-fallback}"})))
    assert spec.data.root == str((tmp_path / "from_env").resolve())


def test_empty_env_default(tri_modal, tmp_path, monkeypatch):
    monkeypatch.delenv("KMM_TEST_UNSET", raising=False)
    spec = load_spec(write(tmp_path / "s.yaml", tri_modal.raw({"data.root": "${KMM_TEST_UNSET:-}data"})))
    assert spec.data.root == str((tmp_path / "data").resolve())


def test_two_env_vars_and_home(tri_modal, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KMM_A", "a")
    monkeypatch.setenv("KMM_B", "b")
    spec = load_spec(write(tmp_path / "s.yaml", tri_modal.raw({"data.root": "~/${KMM_A}/${KMM_B}"})))
    assert spec.data.root == str((tmp_path / "home" / "a" / "b").resolve())


def test_unset_env_without_default_is_a_spec_error(tri_modal, tmp_path, monkeypatch):
    monkeypatch.delenv("KMM_TEST_UNSET", raising=False)
    path = write(tmp_path / "s.yaml", tri_modal.raw({"data.root": "${KMM_TEST_UNSET}/x"}))
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.field == "data.root"
    message = str(caught.value)
    assert message.startswith(f"{path}: data.root: ")
    assert "${KMM_TEST_UNSET} is not set" in message
    assert "${KMM_TEST_UNSET:-default}" in message


def test_env_only_expands_in_root(tri_modal, tmp_path, monkeypatch):
    monkeypatch.setenv("KMM_TABLE", "table.csv")
    path = write(tmp_path / "s.yaml", tri_modal.raw({"data.table": "${KMM_TABLE}"}))
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.field == "data.table"


# -- data_root= ----------------------------------------------------------------------


def test_data_root_overrides_the_spec(tri_modal, tmp_path):
    path = write(tmp_path / "s.yaml", tri_modal.raw({"data.root": "${KMM_NEVER_SET}"}))
    other = tmp_path / "other"
    spec = load_spec(path, data_root=other)  # the spec's root (an unset variable) is never read
    assert spec.data.root == str(other.resolve())
    assert spec.raw["data"]["root"] == str(other.resolve())


def test_relative_data_root_is_relative_to_the_cwd(tri_modal, tmp_path, monkeypatch):
    path = write(tmp_path / "specs" / "s.yaml", tri_modal.raw())
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    assert load_spec(path, data_root="d").data.root == str((tmp_path / "work" / "d").resolve())


def test_data_root_expands_env(tri_modal, tmp_path, monkeypatch):
    monkeypatch.setenv("KMM_TEST_ROOT", str(tmp_path / "x"))
    spec = load_spec(tri_modal.write_spec(), data_root="${KMM_TEST_ROOT}")
    assert spec.data.root == str((tmp_path / "x").resolve())
    monkeypatch.delenv("KMM_TEST_ROOT")
    with pytest.raises(SpecError) as caught:
        load_spec(tri_modal.write_spec(), data_root="${KMM_TEST_ROOT}")
    assert caught.value.field == "--data-root"
    assert "${KMM_TEST_ROOT} is not set" in str(caught.value)


# -- --set overrides and **updates ---------------------------------------------------


def test_set_overrides_read_values_as_yaml(tri_modal):
    spec = load_spec(
        tri_modal.write_spec(),
        overrides=[
            "training.epochs=3",
            "training.learning_rate=0.01",
            "training.baselines=false",
            "model.encoders.notes.units=16",
            "inputs.xray.size=[32, 24]",
            "data.where={sex: [F]}",
            "split.seed = 9",
        ],
    )
    assert spec.training.epochs == 3
    assert spec.training.learning_rate == 0.01
    assert spec.training.baselines is False
    assert spec.model.encoders["notes"] == ComponentChoice("lstm", {"units": 16})
    assert spec.inputs["xray"].size == (32, 24)
    assert spec.data.where == {"sex": ("F",)}
    assert spec.split.seed == 9


def test_set_creates_missing_sections_and_keys(tri_modal):
    raw = tri_modal.raw()
    del raw["training"]
    spec = load_spec(tri_modal.write_spec(raw), overrides=["training.patience=2", "data.limit=10"])
    assert spec.training.patience == 2 and spec.training.epochs == 20
    assert spec.data.limit == 10


def test_later_overrides_win_and_updates_come_last(tri_modal):
    path = tri_modal.write_spec()
    assert load_spec(path, overrides=["training.epochs=2", "training.epochs=5"]).training.epochs == 5
    spec = load_spec(path, overrides=["training.epochs=2"], training__epochs=7)
    assert spec.training.epochs == 7


def test_keyword_updates(tri_modal):
    spec = load_spec(
        tri_modal.write_spec(),
        training__epochs=3,
        model__fusion="concat",
        inputs__notes__sequence_length=8,
        data__on_bad_rows="skip",
    )
    assert spec.training.epochs == 3
    assert spec.inputs["notes"].sequence_length == 8
    assert spec.data.on_bad_rows == "skip"


def test_keyword_update_can_replace_a_whole_section(tri_modal):
    spec = load_spec(tri_modal.write_spec(), split={"hash": "patient", "test": 0.3})
    assert (spec.split.kind, spec.split.column, spec.split.test) == ("hash", "patient", 0.3)


def test_set_value_may_contain_equals(tri_modal):
    spec = load_spec(tri_modal.write_spec(), overrides=["inputs.xray.path_template=images/a=b/{}"])
    assert spec.inputs["xray"].path_template == "images/a=b/{}"


def test_overridden_values_are_validated(tri_modal):
    with pytest.raises(SpecError) as caught:
        load_spec(tri_modal.write_spec(), overrides=["training.epochs=abc"])
    assert caught.value.field == "training.epochs"
    assert "expected an integer, found 'abc' (str)" in str(caught.value)
    with pytest.raises(SpecError) as caught:
        load_spec(tri_modal.write_spec(), training__epoch=3)
    assert caught.value.field == "training.epoch"
    assert "did you mean 'epochs'" in str(caught.value)


@pytest.mark.parametrize(
    "override, field, fragment",
    [
        ("training.epochs", "--set", "expected KEY=VALUE, found 'training.epochs'"),
        ("training..epochs=3", "--set", "expected a dotted key such as training.epochs, found 'training..epochs'"),
        ("=3", "--set", "expected a dotted key"),
        (".epochs=3", "--set", "expected a dotted key"),
        ("training.epochs=[1, 2", "--set training.epochs", "cannot read the value '[1, 2' as YAML"),
        ("name.first=x", "name", "is 'tiny', not a mapping; cannot set name.first"),
        ("inputs.xray.size.height=3", "inputs.xray.size", "not a mapping; cannot set inputs.xray.size.height"),
    ],
)
def test_bad_overrides(tri_modal, override, field, fragment):
    with pytest.raises(SpecError) as caught:
        load_spec(tri_modal.write_spec(), overrides=[override])
    assert caught.value.field == field
    assert fragment in str(caught.value)


def test_empty_override_value_is_an_empty_string(tri_modal):
    with pytest.raises(SpecError) as caught:
        load_spec(tri_modal.write_spec(), overrides=["name="])
    assert caught.value.field == "name"
    assert "expected a non-empty string" in str(caught.value)


def test_override_of_a_null_section_creates_it(tri_modal):
    path = tri_modal.write_spec(text=tri_modal.write_spec().read_text() + "split:\n")
    raw = yaml.safe_load(path.read_text())
    assert raw["split"] is None
    assert load_spec(path, overrides=["split.test=0.3"]).split.test == 0.3


# -- broken files --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, where",
    [
        ("name: x\ndata: [\n", "line 3, column 1"),
        ("name: x\ndata:\n  table: a.csv\n\troot: .\n", "line 4, column 1"),
        ("name: x\n  data: 1\n", "line 2, column 7"),
        ("name: a: b\n", "line 1, column 8"),
    ],
)
def test_malformed_yaml_names_file_and_line(tmp_path, text, where):
    path = write(tmp_path / "bad.yaml", text=text)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: malformed YAML: {where}: ")
    assert caught.value.source == str(path)


@pytest.mark.parametrize(
    "text, found",
    [("- name\n- data\n", "found list"), ("just text\n", "found str"), ("42\n", "found int"), ("", "found NoneType")],
)
def test_top_level_must_be_a_mapping(tmp_path, text, found):
    path = write(tmp_path / "s.yaml", text=text)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert str(caught.value) == f"{path}: expected a mapping of sections at the top, {found}"


def test_missing_spec_file(tmp_path):
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path / "nope.yaml")
    assert str(caught.value) == f"{tmp_path / 'nope.yaml'}: spec file not found"
    with pytest.raises(SpecError):
        load_spec(tmp_path)  # a folder is not a spec file


def test_non_utf8_spec(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert str(caught.value).startswith(f"{path}: not UTF-8 text")


def test_spec_errors_are_kmm_errors_with_exit_code_2(tmp_path):
    with pytest.raises(KMMError) as caught:
        load_spec(write(tmp_path / "s.yaml", text="[1, 2]\n"))
    assert caught.value.exit_code == 2


def test_python_tags_are_refused(tmp_path):
    path = write(tmp_path / "s.yaml", text="name: !!python/object/apply:os.getcwd []\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert "malformed YAML" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "name: " + "[" * 1000 + "\n",  # deeper than Python's recursion limit
        "training: {epochs: " + "9" * 5000 + "}\n",  # more digits than int() converts
    ],
    ids=["deep", "huge_int"],
)
def test_pathological_yaml_is_a_spec_error(tmp_path, text):
    with pytest.raises(SpecError):
        load_spec(write(tmp_path / "s.yaml", text=text))


@pytest.mark.parametrize("value", ["[" * 1000, "9" * 5000], ids=["deep", "huge_int"])
def test_pathological_override_is_a_spec_error(tri_modal, value):
    with pytest.raises(SpecError) as caught:
        load_spec(tri_modal.write_spec(), overrides=[f"training.epochs={value}"])
    assert caught.value.field == "--set training.epochs"


def test_self_referencing_yaml_is_a_spec_error(tri_modal):
    text = tri_modal.write_spec().read_text().replace("units: 8", "units: 8\n      again: &loop [1, *loop]")
    path = tri_modal.write_spec(text=text)
    assert "&loop" in path.read_text()
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert "refers to itself" in str(caught.value)
