"""Reading .csv / .parquet / .jsonl tables with one notion of 'missing'."""

from pathlib import Path

import numpy as np
import pandas as pd

from keras_multimodal.errors import DataError
from keras_multimodal.specs.fields import close_matches
from keras_multimodal.specs.fields import normalize_value


def read_table(path, na_values=()):
    """Read a table as given; cells that are empty or in `na_values` become NaN."""
    path = Path(path)
    if not path.is_file():
        raise DataError("table not found", file=str(path))
    name = path.name.lower()
    try:
        if name.endswith((".csv", ".csv.gz")):
            frame = pd.read_csv(path, dtype=str, keep_default_na=True, na_values=list(na_values), encoding="utf-8")
        elif name.endswith((".parquet", ".parquet.brotli")):
            frame = pd.read_parquet(path)
        elif name.endswith(".jsonl"):
            frame = pd.read_json(path, lines=True, dtype=False)
        else:
            raise DataError("unsupported table format (use .csv, .parquet or .jsonl)", file=str(path))
    except UnicodeDecodeError as error:
        raise DataError(f"not UTF-8 text at byte {error.start} ({error.reason})", file=str(path)) from None
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise DataError(f"cannot read the table: {error}", file=str(path)) from None
    frame.columns = [str(c) for c in frame.columns]
    return mark_missing(frame, na_values)


def mark_missing(frame, na_values):
    """Blank strings and `na_values` read as missing, whatever the file format."""
    missing = {""} | {normalize_value(v) for v in na_values}
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            values = frame[column]
            as_text = values.map(lambda v: normalize_value(v) if isinstance(v, str) else v)
            frame[column] = values.where(~as_text.isin(missing), np.nan)
    return frame


def require_columns(frame, columns, path, field=None):
    """A missing column is an error that names it and the nearest real ones."""
    for column in columns:
        if column not in frame.columns:
            hint = close_matches(column, frame.columns)
            where = f" (named in {field})" if field else ""
            raise DataError(f"no column {column!r}{where}{hint}", file=str(path), column=column)


def join_tables(frame, joins, root, na_values):
    """Left-join each extra table on its key columns, refusing keys that would duplicate rows.

    Keys are compared as normalised text (a CSV's '7' joins a parquet's 7); a
    missing key joins nothing.
    """
    for table, keys in joins:
        path = Path(root) / table
        other = read_table(path, na_values)
        require_columns(frame, keys, "main table", "data.join")
        require_columns(other, keys, path, "data.join")
        temp = [f"__join_{i}__" for i in range(len(keys))]
        frame, other = frame.copy(), other.copy()
        for key, name in zip(keys, temp):
            frame[name] = frame[key].map(_key_text)
            other[name] = other[key].map(_key_text)
        other = other[(other[temp] != "").all(axis=1)]
        repeated = other[other.duplicated(temp)]
        if len(repeated):
            value = tuple(repeated[temp].iloc[0]) if len(keys) > 1 else repeated[temp[0]].iloc[0]
            raise DataError(f"join keys {list(keys)} repeat (e.g. {value!r}), so the join would duplicate rows", file=str(path))
        overlap = (set(other.columns) & set(frame.columns)) - set(temp)
        other = other.drop(columns=sorted(overlap))
        frame = frame.merge(other, on=temp, how="left", validate="many_to_one").drop(columns=temp)
    return frame


def _key_text(value):
    return "" if _is_missing(value) else normalize_value(value)


def as_text(series):
    """Cell values as stripped strings, missing as ''."""
    return series.map(lambda v: "" if _is_missing(v) else normalize_value(v) if not isinstance(v, str) else v.strip())


def _is_missing(value):
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
