"""Typed readers for spec fields: each error names the field, expected and found."""

import difflib
import re

from keras_multimodal.errors import SpecError

_MISSING = object()


def close_matches(word, choices):
    """A ' (did you mean ...?)' hint for a misspelt key, column or name."""
    matches = difflib.get_close_matches(str(word), [str(c) for c in choices], n=3, cutoff=0.6)
    if not matches:
        return ""
    return " (did you mean " + " or ".join(repr(m) for m in matches) + "?)"


def check_keys(mapping, allowed, field):
    """Refuse unknown keys with a close-match hint and the list of valid ones."""
    if not isinstance(mapping, dict):
        raise SpecError(field, f"expected a mapping, found {_describe(mapping)}")
    for key in mapping:
        if key not in allowed:
            raise SpecError(
                _join(field, key),
                f"unknown key{close_matches(key, allowed)}; valid keys: {', '.join(sorted(allowed))}",
            )


def _join(field, key):
    return f"{field}.{key}" if field else str(key)


def _describe(value):
    if value is None:
        return "nothing (null)"
    try:
        text = repr(value)
    except ValueError:  # an integer with more digits than Python converts to text
        return f"a very long {type(value).__name__}"
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{text} ({type(value).__name__})"


def get(mapping, key, field, kind, default=_MISSING, **limits):
    """Read mapping[key] as `kind` ('int', 'float', 'str', 'bool', 'list', 'dict', 'str_list')."""
    path = _join(field, key)
    if key not in mapping or mapping[key] is None:
        if default is _MISSING:
            raise SpecError(path, f"is required (expected {_KIND_TEXT[kind]})")
        return default
    return _READERS[kind](mapping[key], path, **limits)


def values(mapping, key, field, default=_MISSING, normalize=True):
    """A list of plain values (text, numbers, booleans) that are compared with table cells."""
    items = get(mapping, key, field, "list", default)
    if items is None:
        return None
    path = _join(field, key)
    for i, item in enumerate(items):
        if item is None or isinstance(item, (dict, list)):
            raise SpecError(f"{path}[{i}]", f"expected a value (text or a number), found {_describe(item)}")
    return [normalize_value(item) for item in items] if normalize else list(items)


def read(value, path, kind, **limits):
    """Read a value that is not under a key of its own (e.g. a bare component name)."""
    return _READERS[kind](value, path, **limits)


def choice(mapping, key, field, options, default=_MISSING):
    value = get(mapping, key, field, "str", default)
    if value not in options:
        raise SpecError(
            _join(field, key),
            f"expected one of {', '.join(options)}, found {value!r}{close_matches(value, options)}",
        )
    return value


def _read_int(value, path, minimum=None, maximum=None):
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(path, f"expected an integer, found {_describe(value)}")
    _check_range(value, path, minimum, maximum)
    return value


def _read_float(value, path, minimum=None, maximum=None):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(path, f"expected a number, found {_describe(value)}")
    if value != value or value in (float("inf"), float("-inf")):
        raise SpecError(path, f"expected a finite number, found {value!r}")
    _check_range(value, path, minimum, maximum)
    try:
        return float(value)
    except OverflowError:
        raise SpecError(path, f"expected a finite number, found an integer too large for a float ({value.bit_length()} bits)") from None


def _check_range(value, path, minimum, maximum):
    if minimum is not None and value < minimum:
        raise SpecError(path, f"expected a value >= {minimum}, found {value!r}")
    if maximum is not None and value > maximum:
        raise SpecError(path, f"expected a value <= {maximum}, found {value!r}")


def _read_str(value, path):
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise SpecError(path, f"expected a string, found {_describe(value)}")
    text = str(value)
    if not text.strip():
        raise SpecError(path, "expected a non-empty string, found an empty one")
    return text


_BOOL_WORDS = {"yes": True, "on": True, "no": False, "off": False}


def _read_bool(value, path):
    if isinstance(value, str) and value.lower() in _BOOL_WORDS:
        return _BOOL_WORDS[value.lower()]  # YAML 1.1 booleans; the spec reader keeps them as text
    if not isinstance(value, bool):
        raise SpecError(path, f"expected true or false, found {_describe(value)}")
    return value


def _read_list(value, path):
    if not isinstance(value, list):
        raise SpecError(path, f"expected a list, found {_describe(value)}")
    return value


def _read_str_list(value, path):
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        value = [value]
    items = _read_list(value, path)
    return [_read_str(item, f"{path}[{i}]") for i, item in enumerate(items)]


def _read_dict(value, path):
    if not isinstance(value, dict):
        raise SpecError(path, f"expected a mapping, found {_describe(value)}")
    return value


_READERS = {
    "int": _read_int,
    "float": _read_float,
    "str": _read_str,
    "bool": _read_bool,
    "list": _read_list,
    "str_list": _read_str_list,
    "dict": _read_dict,
}
_KIND_TEXT = {
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "bool": "true or false",
    "list": "a list",
    "str_list": "a list of strings",
    "dict": "a mapping",
}


_DECIMAL = re.compile(r"^([+-]?[0-9]+)\.([0-9]*?)0*$")


def normalize_value(value):
    """Compare table values and spec values as text: 1, 1.0, '1' and '1.0' all read '1'.

    CSV cells arrive as text, so '1.0' (a float column written by pandas) and
    'True' (a bool column) must read like the numbers and booleans of YAML.
    """
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if text in ("True", "TRUE", "False", "FALSE"):
        return text.lower()
    match = _DECIMAL.match(text)
    if match:
        whole, fraction = match.groups()
        return f"{whole}.{fraction}" if fraction else whole
    return text
