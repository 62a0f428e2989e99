"""`SeenIds`: row ids that repeat across the chunks of one streaming pass.

`load_table` finds repeats within a chunk; this finds an id that an earlier
chunk (or shard) already had, which a chunk-by-chunk reader cannot see alone.
"""

import numpy as np
import pandas as pd

from keras_multimodal.data.table import as_text_value
from keras_multimodal.errors import DataError


class SeenIds:
    """The ids of one pass so far, each as an 8-byte hash with its first table row.

    Memory: 16 bytes per distinct id (uint64 hash + int64 row), about 16 MB
    per million rows, plus a transient copy of the largest run while two runs
    merge; never the ids themselves. Hashes sit in sorted runs whose sizes at
    least double from newest to oldest (at most log2(rows) runs), so each
    chunk costs one binary search per run and merging is O(rows log rows) in
    all. Two different ids share a 64-bit hash with probability about
    n^2 / 2^65 (3e-8 for a million rows); such a clash would be reported as a
    repeat naming both table rows, which makes it checkable by eye.
    """

    def __init__(self, column):
        self.column = column
        self.runs = []  # [(sorted hashes, their first table rows)], oldest (largest) first
        self.shards = []  # [(first table row, path)]: names the shard of the earlier row

    def drop_repeats(self, chunk, data, on_bad_rows):
        """`data` (the cleaned `chunk`) less rows whose id an earlier chunk had.

        An error naming both table rows, or with `on_bad_rows: skip` those rows
        skipped and counted (the earlier row was already read in this pass, so
        unlike a repeat within a table read whole, only the later rows go).
        """
        raw = chunk.frame
        if raw.empty:
            return data
        if not self.shards or self.shards[-1][1] != chunk.path:
            self.shards.append((int(raw["__row__"].iloc[0]), chunk.path))
        ids = raw[self.column].map(as_text_value).to_numpy(dtype=object)
        rows = raw["__row__"].to_numpy(dtype="int64")
        hashes = pd.util.hash_array(ids)
        first = self._first_rows(hashes)
        # Every id of the chunk counts as seen, also of rows cleaning dropped, as a whole table counts them.
        self._add(hashes[first < 0], rows[first < 0])
        kept = np.isin(ids, data.frame["row_id"].to_numpy(dtype=object)) if len(data.frame) else np.zeros(len(ids), bool)
        repeated = np.flatnonzero((first >= 0) & kept)
        if not repeated.size:
            return data
        problems = [(ids[i], self.column, self._message(ids[i], first[i], rows[i], chunk.path)) for i in repeated]
        if on_bad_rows == "error":
            row_id, column, message = problems[0]
            more = f" ({len(problems) - 1} more repeated ids; set data.on_bad_rows: skip to drop such rows)" if len(problems) > 1 else ""
            raise DataError(message + more, file=str(chunk.path), row=row_id, column=column)
        data = data.subset(~data.frame["row_id"].isin(ids[repeated]).to_numpy())
        data.skipped = list(data.skipped) + problems
        data.skipped_rows += len(problems)
        return data

    def _message(self, row_id, first, again, path):
        shard = next(p for start, p in reversed(self.shards) if start <= first)
        where = "" if shard == path else f" of {shard}"
        return f"row id {row_id!r} repeats (ids must be unique; first in table row {int(first)}{where}, again in table row {int(again)})"

    def _first_rows(self, hashes):
        """The table row of each hash's first occurrence, -1 for a new one."""
        found = np.full(len(hashes), -1, dtype="int64")
        for keys, rows in self.runs:
            at = np.minimum(np.searchsorted(keys, hashes), len(keys) - 1)
            hit = (keys[at] == hashes) & (found < 0)
            found[hit] = rows[at[hit]]
        return found

    def _add(self, hashes, rows):
        # The first row of an id repeated within this chunk: load_table reports the repeat itself.
        hashes, index = np.unique(hashes, return_index=True)
        if not hashes.size:
            return
        self.runs.append((hashes, rows[index]))
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
            (older, older_rows), (newer, newer_rows) = self.runs.pop(-2), self.runs.pop()
            keys = np.concatenate([older, newer])
            order = np.argsort(keys, kind="stable")
            self.runs.append((keys[order], np.concatenate([older_rows, newer_rows])[order]))
