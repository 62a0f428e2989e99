"""Reading a table chunk by chunk (`data.streaming: true`): one file, a folder or a glob of shards.

Shards are read in name order and each in row order, so the rows, their
numbers (`row_id` without `data.id`) and their splits are the same on every
pass; memory holds one chunk at a time, never the table.
"""

import dataclasses
import glob
from pathlib import Path

import numpy as np
import pandas as pd

from keras_multimodal.data import images
from keras_multimodal.data.readers import mark_missing
from keras_multimodal.data.split import row_splits
from keras_multimodal.data.streaming_ids import SeenIds
from keras_multimodal.data.table import load_table
from keras_multimodal.errors import DataError
from keras_multimodal.specs.streaming_checks import STREAM_SUFFIXES

CHUNK_ROWS = 4096
# `images.check_image` and `images.fingerprint` remember every file they read; past
# this many entries memory would grow with the table, so the memos are dropped.
_MAX_CHECKED_IMAGES = 20_000


def shard_paths(data_config):
    """The table's files in name order: the file itself, every table file in the folder, or the glob's matches."""
    pattern = data_config.table_path
    if glob.has_magic(str(data_config.table)):
        found = [Path(p) for p in glob.glob(str(pattern))]
    elif pattern.is_dir():
        found = [p for p in pattern.iterdir() if p.name.lower().endswith(STREAM_SUFFIXES)]
    else:
        found = [pattern] if pattern.is_file() else []
    found = sorted(p for p in found if p.is_file())
    if not found:
        raise DataError("table not found (no .csv, .csv.gz or .parquet shards there)", file=str(pattern))
    kinds = {_kind(p) for p in found}
    if len(kinds) > 1:
        raise DataError(f"shards mix formats ({', '.join(sorted(kinds))}); use one format per table", file=str(pattern))
    return found


def _kind(path):
    name = path.name.lower()
    return "csv" if name.endswith((".csv", ".csv.gz")) else "parquet"


def read_chunks(path, na_values=(), chunk_rows=CHUNK_ROWS, columns=None):
    """DataFrames of at most `chunk_rows` rows, read as `readers.read_table` reads the whole file.

    `columns` reads only those of them that the file has.
    """
    kind = _kind(path)
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            file = pq.ParquetFile(path)
            columns = None if columns is None else [c for c in file.schema_arrow.names if c in columns]
            batches = (batch.to_pandas() for batch in file.iter_batches(batch_size=chunk_rows, columns=columns))
        else:
            # The options of `readers.read_table`, chunk by chunk.
            batches = pd.read_csv(path, dtype=str, keep_default_na=True, na_values=list(na_values), encoding="utf-8",
                                  encoding_errors="surrogateescape", chunksize=chunk_rows,
                                  usecols=None if columns is None else lambda c: c in columns)
        for frame in batches:
            frame.columns = [str(c) for c in frame.columns]
            yield mark_missing(frame, na_values)
    except UnicodeDecodeError as error:
        raise DataError(f"not UTF-8 text at byte {error.start} ({error.reason})", file=str(path)) from None
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise DataError(f"cannot read the table: {error}", file=str(path)) from None


@dataclasses.dataclass
class RawChunk:
    """Rows of one shard after data.where / data.exclude, numbered as in the whole table."""

    frame: pd.DataFrame
    path: Path


def raw_chunks(spec, chunk_rows=CHUNK_ROWS, columns=None):
    """Every chunk of the spec's table, filtered and cut at data.limit, in a fixed order.

    `columns` limits the reading to these columns (plus those data.where and data.exclude test).
    """
    from keras_multimodal.data.table import _filter

    data = spec.data
    if data.generate is not None:
        from keras_multimodal.data.synthetic import make_synthetic_dataset

        gen = data.generate
        make_synthetic_dataset(data.root, rows=gen["rows"], seed=gen["seed"], image_size=gen["image_size"])
    offset, kept = 0, 0
    if columns is not None:
        columns = set(columns) | set(data.where) | set(data.exclude)
    for path in shard_paths(data):
        for frame in read_chunks(path, data.na_values, chunk_rows, columns):
            frame["__row__"] = np.arange(offset, offset + len(frame))
            offset += len(frame)
            frame = _filter(frame, data.where, keep=True, path=path)
            frame = _filter(frame, data.exclude, keep=False, path=path)
            if data.limit is not None:
                frame = frame.head(data.limit - kept)
            kept += len(frame)
            if len(frame):
                yield RawChunk(frame.reset_index(drop=True), path)
            if data.limit is not None and kept >= data.limit:
                return


def clean_chunk(spec, chunk):
    """A `RawChunk` cleaned as `load_table` cleans a whole table, with its `split` column."""
    # Errors name the shard the row is in; row numbers count rows of the whole table.
    shard_spec = dataclasses.replace(spec, data=dataclasses.replace(spec.data, table=str(chunk.path)))
    data = load_table(shard_spec, frame=chunk.frame, allow_empty=True)
    data.frame["split"] = row_splits(data, spec.split, chunk.path) if len(data.frame) else np.array([], object)
    for memo in (images._checked, images._fingerprints):
        if len(memo) > _MAX_CHECKED_IMAGES:
            memo.clear()
    return data


def cleaned_chunks(spec, chunk_rows=CHUNK_ROWS):
    """(`RawChunk`, cleaned `TableData`) of one pass; an id repeating an earlier chunk's is a broken row."""
    # Without data.id the row ids are table row numbers, unique by construction.
    seen = SeenIds(spec.data.id) if spec.data.id else None
    for chunk in raw_chunks(spec, chunk_rows):
        data = clean_chunk(spec, chunk)
        if seen is not None:
            data = seen.drop_repeats(chunk, data, spec.data.on_bad_rows)
        yield chunk, data


def clean_chunks(spec, chunk_rows=CHUNK_ROWS):
    for _, data in cleaned_chunks(spec, chunk_rows):
        yield data


def target_values(spec, chunk):
    """Distinct non-missing target values of a raw chunk (what the classes are made of)."""
    from keras_multimodal.data.table import as_text_value

    if spec.target.task not in ("binary", "multiclass"):
        return set()
    return set(chunk.frame[spec.target.column].map(as_text_value)) - {""}


def with_table_classes(spec, chunk_rows=CHUNK_ROWS):
    """A multiclass spec without `target.classes` gets the classes of the whole table, read from the target column.

    Cleaning chunk by chunk would otherwise number labels by each chunk's own
    classes (and refuse a chunk holding one class); other specs are returned as they are.
    """
    if spec.target.task != "multiclass" or spec.target.classes:
        return spec
    values = set()
    for chunk in raw_chunks(spec, chunk_rows, columns=[spec.target.column]):
        values |= target_values(spec, chunk)
    return fix_classes(spec, values)[0]


def fix_classes(spec, values):
    """The spec with the target's classes as in the whole table, so every chunk numbers labels alike.

    `values` are the distinct non-missing target values of the whole table; the
    classes come from the same `encode_labels` a whole table goes through.
    """
    from keras_multimodal.data.labels import encode_labels

    target = spec.target
    if target.task not in ("binary", "multiclass"):
        return spec, list(target.columns) if target.task == "multilabel" else []
    frame = pd.DataFrame({target.column: sorted(values)})
    ignored = []  # values outside target.classes are reported per row, when the chunks are cleaned
    _, classes, _, _ = encode_labels(frame, target, np.arange(len(frame)).astype(str), spec.data.table_path, ignored)
    if target.task == "multiclass" and not target.classes:
        spec = dataclasses.replace(spec, target=dataclasses.replace(target, classes=tuple(classes)))
    return spec, list(classes)
