"""Atomic writes: a temporary file in the same folder, then `os.replace`.

A run killed at any moment leaves either the old file or the new one, never a
truncated one.
"""

import json
import os
import tempfile
from pathlib import Path


def _replace_with(path, write):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(path.suffixes) or ".tmp"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def write_text(path, text):
    return _replace_with(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_json(path, data):
    return write_text(path, json.dumps(data, indent=2, sort_keys=False, default=_plain) + "\n")


def write_csv(path, frame):
    return _replace_with(path, lambda tmp: frame.to_csv(tmp, index=False))


def save_model(model, path):
    """`model.save` to a temporary `.keras` file, then rename."""
    return _replace_with(path, lambda tmp: model.save(tmp))


def save_weights(model, path):
    return _replace_with(path, lambda tmp: model.save_weights(tmp))


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
