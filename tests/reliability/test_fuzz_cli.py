"""Property tests through the CLI: any `--set KEY=VALUE` at any known key of a full spec, or any
spec text, ends in exit 0 or in exit 2 with one `kmm: error:` line; never a traceback.

(tests/specs/test_spec_fuzz.py fuzzes `load_spec` itself; this goes on to the data checks.)
"""

import pytest
import yaml
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from reliability_helpers import TriModal
from reliability_helpers import error_line

from keras_multimodal.cli import main

FULL = {
    "name": "fuzz",
    "data": {"table": "table.csv", "id": "pid", "where": {"sex": ["F", "M"]}, "exclude": {"age": ["99"]},
             "na_values": ["?"], "limit": 40, "on_bad_rows": "error"},
    "target": {"column": "outcome", "task": "binary", "positive": ["severe"], "classes": ["mild", "severe"], "missing": "drop"},
    "split": {"group_by": "patient", "test": 0.2, "val": 0.2, "seed": 1},
    "inputs": {
        "xray": {"type": "image", "column": "image_file", "path_template": "images/{}", "size": [16, 16], "channels": 1,
                 "augment": {"flip": "horizontal", "rotation": 0.1}, "max_pixels": 1000, "required": False},
        "notes": {"type": "text", "column": "note", "max_tokens": 100, "sequence_length": 16, "standardize": "lower"},
        "labs": {"type": "tabular", "numeric": ["age", "temp"], "categorical": ["sex"], "strict": False},
    },
    "model": {"fusion": "concat", "encoders": {"xray": "cnn", "notes": {"name": "lstm", "units": 8}}, "dropout": 0.1,
              "l2": 0.0, "hidden_units": 8},
    "training": {"epochs": 1, "batch_size": 8, "learning_rate": 0.01, "seed": 1, "optimizer": "adam", "patience": 0,
                 "baselines": False, "class_weight": "none", "modality_dropout": 0.0,
                 "reduce_lr": {"factor": 0.5, "patience": 1}},
    "tuning": {"fusion": ["concat", "late"], "hidden_units": [8, 16], "dropout": {"min": 0.0, "max": 0.5, "step": 0.1},
               "learning_rate": {"min": 0.0001, "max": 0.01, "sampling": "log"}, "batch_size": [8], "tuner": "random",
               "max_trials": 2, "objective": "val_loss", "epochs": 1},
}


def dotted_paths(node, prefix=()):
    if isinstance(node, dict):
        for key, child in node.items():
            yield ".".join(prefix + (key,))
            yield from dotted_paths(child, prefix + (key,))


KEYS = sorted(set(dotted_paths(FULL)))
scalar_texts = st.one_of(
    st.sampled_from(["0", "-1", "1e400", ".nan", ".inf", "null", "''", "[]", "{}", "[1, 2", "{a: 1", "true", "no", "&a [*a]",
                     "!!python/object/apply:os.system [echo]", "../../x", "/etc/passwd", "{}{}", "999999999999999999999",
                     "concat", "binary", "skip", "[F]", "{name: cnn}", "images/{}", "0.5", "2"]),
    st.integers(-3, 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=12),
)
values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-5, 50), st.text(max_size=6)),
                      lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(st.text(max_size=5), c, max_size=3)),
                      max_leaves=6)
value_texts = st.one_of(scalar_texts, values.map(lambda v: yaml.safe_dump(v, default_flow_style=True).strip()))

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory):
    data = TriModal(tmp_path_factory.mktemp("fuzz_cli"))
    return data.write_spec(FULL)


def outcome(capsys, *args):
    code = main(["validate", *args])
    captured = capsys.readouterr()
    assert code in (0, 2), captured.err
    if code == 2:
        error_line(captured.err)
    return code


def test_the_full_spec_validates(spec_path, capsys):
    assert outcome(capsys, str(spec_path)) == 0


@FUZZ
@given(overrides=st.lists(st.tuples(st.sampled_from(KEYS), value_texts), min_size=1, max_size=3))
def test_random_set_overrides_at_every_known_key(spec_path, capsys, overrides):
    args = [str(spec_path)]
    for key, value in overrides:
        args += ["--set", f"{key}={value}"]
    outcome(capsys, *args)


@FUZZ
@given(key=st.sampled_from(KEYS), value=values)
def test_random_values_in_the_spec_file(spec_path, capsys, key, value):
    raw = yaml.safe_load(spec_path.read_text())
    node = raw
    *parents, last = key.split(".")
    for part in parents:
        node = node[part]
    node[last] = value
    path = spec_path.with_name("mutated.yaml")
    path.write_text(yaml.safe_dump(raw))
    outcome(capsys, str(path))
