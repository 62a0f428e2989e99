"""The streamed counterpart of `TableData`: counts from the statistics pass, rows read on demand."""

import dataclasses
from pathlib import Path

from keras_multimodal.data.split import SPLITS
from keras_multimodal.data.streaming_table import CHUNK_ROWS
from keras_multimodal.data.streaming_table import clean_chunks


@dataclasses.dataclass
class StreamingData:
    """What a run knows about a streamed table without holding its rows.

    `spec` has the classes of the whole table fixed (so every chunk numbers
    labels alike); `rows`, `class_counts` and `absent` are per split, counted
    in the statistics pass. `split(name)` is a view whose `chunks()` yields
    only that split's rows; `cache_dir` is where decoded images are cached.
    """

    spec: object
    classes: list
    task: str
    rows: dict
    class_counts: dict
    absent: dict
    content_hash: str
    skipped: int = 0
    first_skipped: tuple | None = None
    dropped_missing_target: int = 0
    warnings: list = dataclasses.field(default_factory=list)
    chunk_rows: int = CHUNK_ROWS
    split_name: str | None = None
    cache_dir: Path | None = None
    groups = None  # streaming never uses a group_by split

    def split(self, name):
        return dataclasses.replace(self, split_name=name)

    def __len__(self):
        if self.split_name is None:
            return sum(self.rows.values())
        return self.rows.get(self.split_name, 0)

    def chunks(self, splits=None):
        """Cleaned `TableData` chunks of this view's split (or of `splits`), non-empty, in table order."""
        wanted = (self.split_name,) if splits is None and self.split_name else splits or SPLITS
        for data in clean_chunks(self.spec, self.chunk_rows):
            if len(data.frame) and not set(data.frame["split"]) <= set(wanted):
                data = data.subset(data.frame["split"].isin(wanted).to_numpy())
            if len(data.frame):
                yield data

    def cache_path(self):
        """Prefix of the on-disk cache of this split's decoded images (None: no caching)."""
        if self.cache_dir is None or self.split_name is None:
            return None
        return str(Path(self.cache_dir) / self.split_name)
