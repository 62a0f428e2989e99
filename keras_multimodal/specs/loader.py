"""Reading a spec file, applying `--set` overrides, validating."""

import copy
import re
from pathlib import Path

import yaml

from keras_multimodal.errors import SpecError
from keras_multimodal.specs.spec import Spec

DEMO_SPEC = Path(__file__).with_name("demo.yaml")


class _SpecLoader(yaml.SafeLoader):
    """Safe YAML where only true/false are booleans (YAML 1.2).

    With YAML 1.1, `positive: [yes]` or `where: {smoker: [no]}` would read as
    true/false and never match the text 'yes'/'no' in a table; true/false
    spec keys still accept yes/no/on/off (see fields._read_bool).
    """


_SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _load_yaml(text):
    return yaml.load(text, Loader=_SpecLoader)  # noqa: S506 (a SafeLoader subclass)


def read_yaml(path):
    """Parse YAML safely; a syntax error names the file, line and column."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(None, "spec file not found", str(path))
    try:
        raw = _load_yaml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise SpecError(None, f"not UTF-8 text ({error.reason})", str(path)) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise SpecError(None, f"malformed YAML: {where}{problem}", str(path)) from None
    except (ValueError, RecursionError) as error:  # e.g. a 5000-digit integer, nesting deeper than the stack
        raise SpecError(None, f"malformed YAML: {_short(error)}", str(path)) from None
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
        parsed = _load_yaml(value) if value.strip() else ""
    except (yaml.YAMLError, ValueError, RecursionError):
        raise SpecError(f"--set {key}", f"cannot read the value {_short(value)} as YAML") from None
    return parts, parsed


def _short(value, limit=80):
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_acyclic(node, path=(), active=None):
    """YAML aliases can make a node contain itself; such a spec cannot be saved or hashed."""
    active = set() if active is None else active
    if not isinstance(node, (dict, list)):
        return
    if id(node) in active:
        raise SpecError(".".join(path) or None, "the spec refers to itself (a YAML alias inside its own anchor)")
    active.add(id(node))
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, child in items:
        _check_acyclic(child, path + (str(key),), active)
    active.discard(id(node))


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
    try:
        _check_acyclic(raw)
    except RecursionError:
        raise SpecError(None, "the spec is nested too deeply", str(path)) from None
    except SpecError as error:
        error.source = str(path)
        raise
    return Spec.from_dict(raw, spec_dir=path.parent, data_root=data_root, source=str(path))
