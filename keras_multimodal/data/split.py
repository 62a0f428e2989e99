"""Assigning rows to train / val / test in the spec's four forms."""

import hashlib

import numpy as np

from keras_multimodal.errors import DataError

SPLITS = ("train", "val", "test")
_ALIASES = {"train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}


def assign_splits(data, split, path):
    """Fill `data.frame['split']`; check no split (or class in train) is empty."""
    if split.kind == "column":
        splits = _from_column(data, split.column, path)
    elif split.kind == "hash":
        splits = _from_hash(data.groups, split)
    elif split.kind == "group_by":
        splits = _grouped(data, split)
    else:
        splits = _random(data, split)
    data.frame["split"] = splits
    data.warnings.extend(check_splits(data, path))
    return data


def row_splits(data, split, path):
    """Each row's split from its own value (`column` or `hash` form): how streamed chunks are split."""
    if split.kind == "column":
        return _from_column(data, split.column, path)
    return _from_hash(data.groups, split)


def _from_column(data, column, path):
    values = data.groups.str.lower().map(lambda v: _ALIASES.get(v, ""))
    bad = (values == "").to_numpy()
    if bad.any():
        found = data.groups[bad].iloc[0]
        raise DataError(f"split value {found!r} is not train, val or test", file=str(path), row=data.frame["row_id"][bad].iloc[0], column=column)
    return values.to_numpy()


def _from_hash(keys, split):
    def bucket(value):
        return int(hashlib.md5(str(value).encode()).hexdigest(), 16) % 10_000 / 10_000

    u = keys.map(bucket).to_numpy()
    return np.where(u < split.test, "test", np.where(u < split.test + split.val, "val", "train"))


def _strata(data):
    if data.task in ("binary", "multiclass"):
        return np.asarray(data.labels).astype(int)
    return np.zeros(len(data.frame), dtype=int)


def _grouped(data, split):
    """Whole groups go to one split; groups are stratified by their first row's label."""
    rng = np.random.default_rng(split.seed)
    strata = _strata(data)
    groups = data.groups.to_numpy()
    first = {}
    for group, stratum in zip(groups, strata):
        first.setdefault(group, stratum)
    sizes = {}
    for group in groups:
        sizes[group] = sizes.get(group, 0) + 1
    assignment = {}
    for stratum in sorted(set(first.values())):
        members = sorted(g for g, s in first.items() if s == stratum)
        members = [members[i] for i in rng.permutation(len(members))]
        total, done = sum(sizes[g] for g in members), 0
        for group in members:
            fraction = done / total
            assignment[group] = "test" if fraction < split.test else "val" if fraction < split.test + split.val else "train"
            done += sizes[group]
    return np.array([assignment[g] for g in groups], dtype=object)


def _random(data, split):
    rng = np.random.default_rng(split.seed)
    strata = _strata(data)
    out = np.empty(len(strata), dtype=object)
    for stratum in np.unique(strata):
        index = np.flatnonzero(strata == stratum)
        index = index[rng.permutation(len(index))]
        n_test = int(round(split.test * len(index)))
        n_val = int(round(split.val * len(index)))
        out[index[:n_test]] = "test"
        out[index[n_test : n_test + n_val]] = "val"
        out[index[n_test + n_val :]] = "train"
    return out


def check_splits(data, path):
    """Errors for empty splits or classes unseen in training; warnings otherwise."""
    counts = data.frame["split"].value_counts()
    for name in SPLITS:
        if counts.get(name, 0) == 0:
            raise DataError(f"the {name} split is empty ({dict(counts)} rows per split): use more data or other fractions", file=str(path))
    if data.task not in ("binary", "multiclass"):
        return []
    warnings = []
    labels = np.asarray(data.labels).astype(int)
    splits = data.frame["split"].to_numpy()
    for index, name in enumerate(data.classes):
        present = {s: bool(np.any((labels == index) & (splits == s))) for s in SPLITS}
        if not present["train"] and (present["val"] or present["test"]):
            raise DataError(f"class {name!r} is in val/test but never in train", file=str(path))
        if not present["train"]:
            raise DataError(f"class {name!r} has no rows in train", file=str(path))
        if not (present["val"] or present["test"]):
            warnings.append(f"class {name!r} is in train but absent from val and test")
    return warnings
