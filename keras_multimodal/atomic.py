"""Atomic writes: a temporary file in the same folder, then `os.replace`.

A run killed at any moment leaves either the old file or the new one, never a
truncated one.
"""

import json
import os
import shutil
import tempfile
from pathlib import Path


# Temporary files start with this, so a resumed run can remove what a kill left behind.
TEMP_PREFIX = ".kmm-tmp."


def _replace_with(path, write):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(path.suffixes) or ".tmp"
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{path.stem}.", suffix=suffix, dir=path.parent)
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


def save_figure(figure, path, **kwargs):
    """`figure.savefig` to a temporary file, then rename (the format comes from `path`'s suffix)."""
    kwargs.setdefault("format", Path(path).suffix.lstrip(".") or "png")
    return _replace_with(path, lambda tmp: figure.savefig(tmp, **kwargs))


def remove_temporaries(folder, patterns=()):
    """Delete temporary files (and `patterns`, e.g. export folders) that a killed run left in `folder`."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = list(folder.rglob(f"{TEMP_PREFIX}*"))
    for pattern in patterns:
        found += list(folder.glob(pattern))
    for item in found:
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item, ignore_errors=True)
        elif item.exists() or item.is_symlink():
            item.unlink()
    return found


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
