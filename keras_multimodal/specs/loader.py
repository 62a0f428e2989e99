"""Reading a spec file, applying `--set` overrides, validating."""

import copy
from pathlib import Path

import yaml

from keras_multimodal.errors import SpecError
from keras_multimodal.specs.spec import Spec

DEMO_SPEC = Path(__file__).with_name("demo.yaml")


def read_yaml(path):
    """Parse YAML safely; a syntax error names the file, line and column."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(None, "spec file not found", str(path))
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise SpecError(None, f"not UTF-8 text ({error.reason})", str(path)) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise SpecError(None, f"malformed YAML: {where}{problem}", str(path)) from None
    if not isinstance(raw, dict):
        raise SpecError(None, f"expected a mapping of sections at the top, found {type(raw).__name__}", str(path))
    return raw


def parse_override(text):
    """`key.sub=value` -> (['key', 'sub'], value); the value is read as YAML."""
    if "=" not in text:
        raise SpecError("--set", f"expected KEY=VALUE, found {text!r}")
    key, value = text.split("=", 1)
    parts = key.strip().split(".")
    if not all(parts):
        raise SpecError("--set", f"expected a dotted key such as training.epochs, found {key!r}")
    try:
        parsed = yaml.safe_load(value) if value.strip() else ""
    except yaml.YAMLError:
        raise SpecError(f"--set {key}", f"cannot read the value {value!r} as YAML") from None
    return parts, parsed


def apply_overrides(raw, overrides):
    """Set dotted keys, creating mappings on the way; a scalar on the way is an error."""
    raw = copy.deepcopy(raw)
    for parts, value in overrides:
        node = raw
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise SpecError(".".join(parts[: i + 1]), f"is {child!r}, not a mapping; cannot set {'.'.join(parts)}")
            node = child
        node[parts[-1]] = value
    return raw


def load_spec(path=None, *, data_root=None, overrides=(), **updates):
    """Load and validate a spec.

    Args:
        path: str or Path. The YAML file; `None` loads the embedded demo.
        data_root: str. Overrides `data.root`.
        overrides: iterable of `"key.sub=value"` strings (the CLI's `--set`).
        **updates: dotted keys with `__` for dots, e.g. `training__epochs=3`.
    """
    path = Path(path) if path is not None else DEMO_SPEC
    raw = read_yaml(path)
    parsed = [parse_override(text) for text in overrides]
    parsed += [(key.split("__"), value) for key, value in updates.items()]
    raw = apply_overrides(raw, parsed)
    return Spec.from_dict(raw, spec_dir=path.parent, data_root=data_root, source=str(path))
