"""Leakage checks: the same image, text or group in more than one split.

A duplicate across train and test inflates test metrics without any sign in
the numbers themselves, so the report lists every kind as a warning with
counts and a few examples to look up.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

_KINDS = ("images", "texts", "groups")


def file_sha1(path, cache=None):
    """sha1 of a file's bytes; None when it cannot be read (reported elsewhere)."""
    if cache is not None and path in cache:
        return cache[path]
    try:
        with open(path, "rb") as handle:
            digest = hashlib.sha1(handle.read()).hexdigest()
    except OSError:
        digest = None
    if cache is not None:
        cache[path] = digest
    return digest


def _shared(keys: pd.Series, splits: np.ndarray, row_ids: np.ndarray, max_examples: int,
            label: str) -> dict:
    """Keys found in more than one split, as {checked, n_shared, n_rows, examples}."""
    table = pd.DataFrame({"key": keys.to_numpy(), "split": splits, "row_id": row_ids})
    table = table[table["key"].notna() & (table["key"] != "")]
    n_splits = table.groupby("key", sort=True)["split"].nunique()
    shared = n_splits[n_splits > 1].index
    rows = table[table["key"].isin(shared)]
    examples = []
    for key in list(shared)[:max_examples]:
        mine = rows[rows["key"] == key]
        examples.append({label: str(key), "splits": sorted(set(mine["split"])),
                         "row_ids": [str(r) for r in mine["row_id"].head(10)]})
    return {"checked": True, "n_shared": int(len(shared)), "n_rows": int(len(rows)),
            "examples": examples}


def _stack(frame: pd.DataFrame, columns, transform) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """One long (key, split, row_id) listing over several columns of the same kind."""
    keys, splits, row_ids = [], [], []
    for column in columns:
        keys.append(frame[column].map(transform))
        splits.append(frame["split"].to_numpy())
        row_ids.append(frame["row_id"].to_numpy())
    if not keys:
        return pd.Series([], dtype=object), np.array([], object), np.array([], object)
    return pd.concat(keys, ignore_index=True), np.concatenate(splits), np.concatenate(row_ids)


def _text_key(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip().lower()


def _unchecked():
    return {"checked": False, "n_shared": 0, "n_rows": 0, "examples": []}


def check_leakage(frame: pd.DataFrame, image_columns=(), text_columns=(), groups=None,
                  max_examples: int = 5) -> dict:
    """Find images (by content hash), texts and groups present in more than one split.

    Args:
        frame: pandas DataFrame with `row_id`, `split` and the named columns.
        image_columns: list of str. Columns of image file paths ('' = absent).
        text_columns: list of str. Columns of texts, compared after strip + lower.
        groups: array-like or None. One group per row; None skips the group check.
        max_examples: int. Examples kept per kind. Defaults to 5.

    Returns:
        dict with `images`, `texts`, `groups` ({checked, n_shared, n_rows,
        examples}) and `warnings` (one line per kind with a leak).
    """
    splits, row_ids = frame["split"].to_numpy(), frame["row_id"].to_numpy()
    cache = {}
    result = {}
    keys, s, r = _stack(frame, image_columns, lambda p: file_sha1(p, cache) if p else None)
    result["images"] = _shared(keys, s, r, max_examples, "sha1") if image_columns else _unchecked()
    keys, s, r = _stack(frame, text_columns, _text_key)
    result["texts"] = _shared(keys, s, r, max_examples, "text") if text_columns else _unchecked()
    if groups is None:
        result["groups"] = _unchecked()
    else:
        keys = pd.Series(np.asarray(groups, dtype=object)).map(_text_key)
        result["groups"] = _shared(keys, splits, row_ids, max_examples, "group")
    result["warnings"] = [_warning(kind, result[kind]) for kind in _KINDS if result[kind]["n_shared"]]
    return result


def _warning(kind: str, found: dict) -> str:
    what = {"images": "identical image files", "texts": "identical texts",
            "groups": "groups"}[kind]
    key = {"images": "sha1", "texts": "text", "groups": "group"}[kind]
    width = 12 if kind == "images" else 40  # a hash prefix is enough to find the file
    shown = "; ".join(f"{e[key][:width]!r} in {'/'.join(e['splits'])} (rows {', '.join(e['row_ids'][:3])})"
                      for e in found["examples"])
    return (f"leakage: {found['n_shared']} {what} found in more than one split "
            f"({found['n_rows']} rows); e.g. {shown}")
