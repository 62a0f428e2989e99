"""Reading .csv / .parquet / .jsonl tables with one notion of 'missing'."""

import codecs
import gzip
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from keras_multimodal.errors import DataError
from keras_multimodal.specs.fields import close_matches
from keras_multimodal.specs.fields import normalize_value

# A Unicode noncharacter (reserved for internal use, so never in real text)
# marks each run of invalid UTF-8 bytes; lone surrogates would be the usual
# mark, but Arrow-backed pandas strings refuse them.
_INVALID = "\ufdd0"
_MARK_INVALID = "keras_multimodal.mark_invalid_utf8"
codecs.register_error(_MARK_INVALID, lambda error: (_INVALID, error.end))


def read_table(path, na_values=()):
    """Read a table as given; cells that are empty or in `na_values` become NaN.

    Text that is not valid UTF-8 is kept with a mark (see `undecodable`), so
    that the broken cell is reported, or its row skipped, by row and column.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("table not found", file=str(path))
    name = path.name.lower()
    try:
        if name.endswith((".csv", ".csv.gz")):
            text = io.StringIO(_read_text(path))
            frame = pd.read_csv(text, dtype=str, keep_default_na=True, na_values=list(na_values))
        elif name.endswith((".parquet", ".parquet.brotli")):
            frame = pd.read_parquet(path)
        elif name.endswith(".jsonl"):
            frame = _read_jsonl(path)
        else:
            raise DataError("unsupported table format (use .csv, .parquet or .jsonl)", file=str(path))
    except (ValueError, OSError, EOFError, pd.errors.ParserError) as error:
        raise DataError(f"cannot read the table: {error}", file=str(path)) from None
    frame.columns = [str(c) for c in frame.columns]
    return mark_missing(frame, na_values)


def undecodable(value):
    """True for a cell read from bytes that are not valid UTF-8."""
    return isinstance(value, str) and _INVALID in value


def _read_text(path):
    data = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8-sig", errors=_MARK_INVALID)


def _read_jsonl(path):
    """One JSON object per line."""
    records = []
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as error:
            raise DataError(f"cannot read the table: line {number} is not JSON ({error})", file=str(path)) from None
        if not isinstance(record, dict):
            raise DataError(f"cannot read the table: line {number} is not a JSON object", file=str(path))
        records.append(record)
    return pd.DataFrame.from_records(records)


def mark_missing(frame, na_values):
    """Blank strings and `na_values` read as missing, whatever the file format.

    Values compare as normalised text, so `na_values: [-1]` also hits the
    -1.0 of a numeric parquet or jsonl column.
    """
    missing = {""} | {normalize_value(v) for v in na_values}
    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        textual = values.dtype == object or pd.api.types.is_string_dtype(values)
        if not textual and not na_values:
            continue  # only an na_value can make a typed (numeric, bool) cell missing
        hit = values.map(lambda v: not _is_missing(v) and normalize_value(v) in missing).astype(bool)
        if hit.any():
            frame[column] = values.where(~hit, np.nan)
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
