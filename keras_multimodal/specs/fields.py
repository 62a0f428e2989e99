"""Typed readers for spec fields: each error names the field, expected and found."""

import difflib

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
    return f"{value!r} ({type(value).__name__})"


def get(mapping, key, field, kind, default=_MISSING, **limits):
    """Read mapping[key] as `kind` ('int', 'float', 'str', 'bool', 'list', 'dict', 'str_list')."""
    path = _join(field, key)
    if key not in mapping or mapping[key] is None:
        if default is _MISSING:
            raise SpecError(path, f"is required (expected {_KIND_TEXT[kind]})")
        return default
    return _READERS[kind](mapping[key], path, **limits)


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
    return float(value)


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


def _read_bool(value, path):
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


def normalize_value(value):
    """Compare table values and spec values as text: 1, 1.0 and '1' all read '1'."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
