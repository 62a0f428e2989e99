"""Cross-validation folds, and training on a split given row by row."""

import numpy as np
import pandas as pd

from keras_multimodal.data.split import SPLITS
from keras_multimodal.data.split import check_splits
from keras_multimodal.errors import DataError


def _strata(data):
    if data.task in ("binary", "multiclass"):
        return np.asarray(data.labels).astype(int)
    return np.zeros(len(data.frame), dtype=int)


def _splitter(n_splits, grouped, seed):
    from sklearn.model_selection import StratifiedGroupKFold
    from sklearn.model_selection import StratifiedKFold

    kind = StratifiedGroupKFold if grouped else StratifiedKFold
    return kind(n_splits=n_splits, shuffle=True, random_state=seed)


def make_folds(data, folds, val_fraction, seed=0, grouped=False, path=None):
    """Per-fold split Series (row_id -> train/val/test) for K-fold cross-validation.

    Each fold is the test set once; val is carved from the remaining rows as
    the first part of a stratified (grouped, with `grouped`) split of them
    into round(1 / val_fraction) parts, so its share of the remaining rows is
    about `val_fraction` and no group straddles train and val.
    """
    if folds < 2:
        raise DataError(f"cross-validation needs at least 2 folds (--folds), found {folds}", file=path)
    strata = _strata(data)
    groups = data.groups.to_numpy() if grouped else None
    row_ids = data.frame["row_id"].to_numpy()
    if len(row_ids) < folds or (grouped and len(pd.unique(groups)) < folds):
        raise DataError(f"{folds} folds need at least {folds} rows (groups with group_by); found {len(row_ids)} rows", file=path)
    X = np.zeros((len(row_ids), 1))
    out = []
    for rest, test in _splitter(folds, grouped, seed).split(X, strata, groups):
        split = np.full(len(row_ids), "train", dtype=object)
        split[test] = "test"
        split[_carve_val(rest, strata, groups, val_fraction, seed)] = "val"
        out.append(pd.Series(split, index=row_ids, name="split"))
    return out


def _carve_val(rest, strata, groups, val_fraction, seed):
    """Indices (into the whole table) of the val rows taken out of `rest`."""
    if val_fraction <= 0:
        return np.array([], dtype=int)
    parts = max(2, int(round(1 / val_fraction)))
    sub_groups = None if groups is None else groups[rest]
    X = np.zeros((len(rest), 1))
    splitter = _splitter(parts, groups is not None, seed)
    _, val = next(splitter.split(X, strata[rest], sub_groups))
    return rest[val]


def apply_split(data, split, path):
    """Set `data.frame['split']` from a row_id -> split Series instead of the spec's split."""
    values = data.frame["row_id"].map(split)
    missing = values.isna().to_numpy()
    if missing.any():
        row = data.frame["row_id"][missing].iloc[0]
        raise DataError(f"{int(missing.sum())} row(s) have no split in the given assignment", file=str(path), row=row)
    bad = sorted(set(values) - set(SPLITS))
    if bad:
        raise DataError(f"split values {bad} are not train, val or test", file=str(path))
    data.frame["split"] = values.to_numpy(dtype=object)
    data.warnings.extend(check_splits(data, path))
    return data
