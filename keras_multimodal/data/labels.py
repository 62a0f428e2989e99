"""Turning target columns into label arrays, per task."""

import numpy as np
import pandas as pd

from keras_multimodal.errors import DataError
from keras_multimodal.specs.fields import normalize_value

_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}


def encode_labels(frame, target, row_ids, path, problems):
    """Return (labels, classes, keep mask, rows dropped for a missing target).

    A broken target value (outside `classes`, not a number for regression,
    not binary for multilabel) is appended to `problems` as (row_id, column,
    message), so that `data.on_bad_rows` decides between an error and a
    skipped row; its label is a placeholder.
    """
    values = frame[list(target.target_columns)].map(lambda v: "" if pd.isna(v) else normalize_value(v))
    missing = (values == "").any(axis=1).to_numpy()
    if missing.any() and target.missing == "error":
        raise DataError("target is missing", file=str(path), row=row_ids[missing][0], column=target.target_columns[0])
    keep = ~missing
    encode = _ENCODERS[target.task]
    labels, classes = encode(values, target, row_ids, path, keep, problems)
    return labels, classes, keep, int(missing.sum())


def _report(problems, bad, row_ids, column, message):
    """Append one problem per bad row; `message(value)` describes the value."""
    for row_id, value in zip(row_ids[bad], column[bad]):
        problems.append((row_id, column.name, message(value)))


def _binary(values, target, row_ids, path, keep, problems):
    column = values[target.column]
    _check_allowed(column, target.classes, row_ids, keep, problems)
    positive = target.positive or (target.classes[1],)
    labels = column.isin(positive).to_numpy().astype("float32")
    others = sorted(set(column[keep]) - set(positive))
    negative = [c for c in target.classes if c not in positive] if target.classes else others
    names = ["/".join(negative) if negative else "negative", "/".join(positive)]
    return labels, names


def _multiclass(values, target, row_ids, path, keep, problems):
    column = values[target.column]
    _check_allowed(column, target.classes, row_ids, keep, problems)
    classes = list(target.classes) or sorted(set(column[keep]), key=_natural)
    index = {c: i for i, c in enumerate(classes)}
    labels = column.map(lambda v: index.get(v, -1)).to_numpy().astype("int32")
    if len(classes) < 2:
        raise DataError(f"a multiclass target needs at least two classes, found {classes}", file=str(path), column=target.column)
    return labels, classes


def _multilabel(values, target, row_ids, path, keep, problems):
    out = np.zeros((len(values), len(target.columns)), dtype="float32")
    for j, column in enumerate(target.columns):
        text = values[column]
        if target.positive:
            out[:, j] = text.isin(target.positive).to_numpy()
            continue
        bad = keep & ~text.str.lower().isin(_TRUE | _FALSE).to_numpy()
        _report(problems, bad, row_ids, text, lambda v: f"expected a binary value (1/0, yes/no, true/false), found {v!r}; or set target.positive")
        out[:, j] = text.str.lower().isin(_TRUE).to_numpy()
    return out, list(target.columns)


def _regression(values, target, row_ids, path, keep, problems):
    column = values[target.column]
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64")
    bad = keep & ~np.isfinite(numbers)
    _report(problems, bad, row_ids, column, lambda v: f"expected a number for a regression target, found {v!r}")
    return np.where(bad, 0.0, numbers).astype("float32"), []


def _check_allowed(column, classes, row_ids, keep, problems):
    if not classes:
        return
    bad = keep & ~column.isin(classes).to_numpy()
    _report(problems, bad, row_ids, column, lambda v: f"target value {v!r} is not among target.classes {list(classes)}")


def _natural(value):
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


_ENCODERS = {"binary": _binary, "multiclass": _multiclass, "multilabel": _multilabel, "regression": _regression}
