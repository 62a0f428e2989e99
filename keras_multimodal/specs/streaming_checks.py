"""Spec checks for `data.streaming: true`: what a streamed table may be and how it may be split."""

import glob
from pathlib import PurePath

from keras_multimodal.errors import SpecError

STREAM_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".parquet.brotli")
STREAM_SPLITS = ("column", "hash")


def check_streaming_data(raw, table):
    """A streamed table is one file, a folder of shards, or a glob of shards; no joins."""
    name = table.lower()
    is_glob = glob.has_magic(table)
    if not name.endswith(STREAM_SUFFIXES) and (is_glob or PurePath(table).suffix):
        raise SpecError(
            "data.table",
            f"with data.streaming a table is a .csv, .csv.gz or .parquet file, a folder of such shards "
            f"or a glob ending in one of these suffixes, found {table!r}",
        )
    if raw.get("join"):
        raise SpecError("data.join", "joins are not supported with data.streaming: true (join the shards beforehand)")


def check_streaming_split(data, split):
    """Streaming assigns each row its split on its own, so only per-row split forms work."""
    if data.streaming and split.kind not in STREAM_SPLITS:
        form = "a stratified random split" if split.kind == "random" else "split.group_by"
        raise SpecError(
            "split",
            f"data.streaming: true allows only `split: {{column: ...}}` or `split: {{hash: ...}}` "
            f"(each row's split from its own value); found {form}, which needs the whole table in memory",
        )
