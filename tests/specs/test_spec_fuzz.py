"""Property tests: whatever a user writes, load_spec returns a Spec or raises SpecError.

Random YAML-able values are put at random places of a valid spec (replacing a
value, adding a key, deleting a key), random `--set KEY=VALUE` strings and
random `**updates` are applied; no other exception may escape, and a Spec
that loads is usable: it hashes, dumps to YAML and reloads to the same spec.
"""

import copy

import pytest
import yaml
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_multimodal.errors import KMMError
from keras_multimodal.errors import SpecError
from keras_multimodal.specs import Spec
from keras_multimodal.specs import load_spec

BASE = {
    "name": "fuzz",
    "data": {"table": "table.csv", "root": ".", "id": "pid", "where": {"sex": ["F"]}, "na_values": ["?"], "limit": 10},
    "target": {"column": "outcome", "task": "binary", "positive": ["severe"], "classes": ["mild", "severe"]},
    "split": {"group_by": "patient", "test": 0.2, "val": 0.1, "seed": 7},
    "inputs": {
        "xray": {"type": "image", "column": "image_file", "path_template": "images/{}", "size": [16, 16], "channels": 1},
        "notes": {"type": "text", "column": "note", "max_tokens": 100, "sequence_length": 16},
        "labs": {"type": "tabular", "numeric": ["age", "temp"], "categorical": ["sex"]},
    },
    "model": {"fusion": "concat", "encoders": {"xray": "cnn", "notes": {"name": "lstm", "units": 8}}, "dropout": 0.1},
    "training": {"epochs": 2, "batch_size": 8, "learning_rate": 0.01, "seed": 1},
}

KNOWN_KEYS = sorted(
    {
        "name", "data", "target", "split", "inputs", "model", "training", "table", "root", "id", "where",
        "exclude", "na_values", "join", "limit", "on_bad_rows", "generate", "column", "columns", "task",
        "positive", "classes", "missing", "group_by", "hash", "test", "val", "seed", "type", "required",
        "path_template", "size", "channels", "augment", "max_pixels", "max_tokens", "sequence_length",
        "standardize", "numeric", "categorical", "strict", "fusion", "encoders", "dropout", "l2",
        "hidden_units", "epochs", "batch_size", "learning_rate", "optimizer", "patience", "baselines",
        "class_weight", "xray", "notes", "labs", "on", "flip", "rotation", "units",
    }
)
KNOWN_VALUES = [
    "binary", "multiclass", "multilabel", "regression", "image", "text", "tabular", "concat", "cnn",
    "lstm", "mlp", "drop", "error", "skip", "table.csv", "x.parquet", "{}", "images/{}", "${HOME}",
    "${KMM_FUZZ_UNSET}", "${KMM_FUZZ_UNSET:-d}", "~", "outcome", "age", "sex", "patient", "fold",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=-3, max_value=3000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(KNOWN_VALUES),
    st.sampled_from([10**400, -(10**400), "a\x00b", "\x00", "{}{", "{x}{}", "\u2028", "\ufeff", " ", "yes", "Off"]),
)
keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=8), st.integers(-5, 5), st.booleans(), st.none())
values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)),
    max_leaves=12,
)


def all_paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, child in node.items():
            yield from all_paths(child, prefix + (key,))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from all_paths(child, prefix + (index,))


PATHS = [p for p in all_paths(BASE) if p]


def mutate(raw, path, action, key, value):
    """Replace the value at `path`, add `key` under it, or delete it."""
    parent = raw
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "replace":
        parent[last] = value
    elif action == "delete":
        del parent[last]
    elif isinstance(parent[last], dict):
        parent[last][key] = value
    elif isinstance(parent[last], list):
        parent[last].append(value)
    else:
        parent[last] = {key: value}


@st.composite
def mutated_specs(draw):
    raw = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in all_paths(raw) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "add", "delete"]))
        mutate(raw, path, action, draw(keys), draw(values))
    return raw


dotted_keys = st.one_of(
    st.sampled_from([".".join(str(part) for part in p) for p in PATHS]),
    st.lists(st.sampled_from(KNOWN_KEYS), min_size=1, max_size=4).map(".".join),
    st.text(max_size=15),
)
value_texts = st.one_of(
    st.text(max_size=20),
    values.map(lambda v: yaml.safe_dump(v, default_flow_style=True).strip()),
    st.sampled_from(["[1, 2", "{a: 1", "&a [*a]", "!!python/name:os.system", "'", "- a\n- b", "null", ".nan", "0x1F", "1e400"]),
)
set_strings = st.one_of(st.builds(lambda k, v: f"{k}={v}", dotted_keys, value_texts), st.text(max_size=30))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def write(folder, raw):
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def check_outcome(call):
    """`call()` returns a usable Spec or raises SpecError; nothing else."""
    try:
        spec = call()
    except SpecError as error:
        assert isinstance(error, KMMError) and error.exit_code == 2
        assert str(error)  # renders
        return None
    assert isinstance(spec, Spec)
    assert len(spec.hash) == 16
    again = Spec.from_dict(yaml.safe_load(yaml.safe_dump(spec.raw)), spec_dir="/", source=spec.source)
    assert again.hash == spec.hash
    assert again.inputs == spec.inputs and again.target == spec.target and again.split == spec.split
    assert spec.with_inputs(list(spec.inputs)[:1]).name == spec.name
    return spec


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def test_base_spec_is_valid(folder):
    spec = check_outcome(lambda: load_spec(write(folder, BASE)))
    assert spec is not None and spec.split.kind == "group_by"


@FUZZ
@given(raw=mutated_specs())
def test_random_values_at_random_paths(folder, raw, monkeypatch):
    monkeypatch.delenv("KMM_FUZZ_UNSET", raising=False)
    path = write(folder, raw)
    check_outcome(lambda: load_spec(path))


@FUZZ
@given(raw=values)
def test_random_documents(folder, raw):
    check_outcome(lambda: load_spec(write(folder, raw)))


@FUZZ
@given(text=st.text(max_size=200))
def test_random_yaml_text(folder, text):
    path = folder / "text.yaml"
    path.write_text(text, encoding="utf-8")
    check_outcome(lambda: load_spec(path))


@FUZZ
@given(overrides=st.lists(set_strings, min_size=1, max_size=3))
def test_random_set_overrides(folder, overrides):
    path = write(folder, BASE)
    check_outcome(lambda: load_spec(path, overrides=overrides))


update_keys = st.one_of(
    st.sampled_from(["__".join(str(part) for part in p) for p in PATHS]),
    st.lists(st.sampled_from(KNOWN_KEYS), min_size=1, max_size=3).map("__".join),
    st.text(min_size=1, max_size=10),
).filter(lambda k: k not in ("path", "data_root", "overrides"))


@FUZZ
@given(updates=st.dictionaries(update_keys, values, min_size=1, max_size=3), data_root=st.one_of(st.none(), st.text(max_size=10)))
def test_random_keyword_updates(folder, updates, data_root):
    path = write(folder, BASE)
    check_outcome(lambda: load_spec(path, data_root=data_root, **updates))


@FUZZ
@given(template=st.text(alphabet="{}x/.0a:!r", max_size=10))
def test_random_path_templates(folder, template):
    """A template the spec accepts formats a column value without error, using it once."""
    raw = copy.deepcopy(BASE)
    raw["inputs"]["xray"]["path_template"] = template
    spec = check_outcome(lambda: load_spec(write(folder, raw)))
    if spec is not None:
        text = spec.inputs["xray"].path_template.format("VALUE")
        assert text.count("VALUE") == 1
