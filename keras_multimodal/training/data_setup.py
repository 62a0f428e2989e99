"""Everything a run needs from the data: cleaned rows, splits, fitted preprocessing."""

import dataclasses
import hashlib

import numpy as np
import pandas as pd

from keras_multimodal.data.preprocessor import Preprocessor
from keras_multimodal.data.split import assign_splits
from keras_multimodal.data import images
from keras_multimodal.data.table import check_categories
from keras_multimodal.data.table import load_table


@dataclasses.dataclass
class PreparedData:
    data: object  # TableData with a `split` column
    preprocessor: Preprocessor

    @property
    def hash(self):
        streamed = getattr(self.data, "content_hash", None)  # a StreamingData hashes its rows as it reads them
        image_inputs = [name for name, entry in self.preprocessor.state.items() if entry.get("type") == "image"]
        return streamed or data_hash(self.data, image_inputs)


def prepare_data(spec, preprocessor=None, split=None):
    """Load, split and (unless given) fit the preprocessor on the training split only.

    `split`, a row_id -> train/val/test Series (a cross-validation fold),
    replaces the spec's split. With `data.streaming: true` the table is read
    chunk by chunk in one pass and `data` is a `StreamingData`.
    """
    if spec.data.streaming:
        return _prepare_streaming(spec, preprocessor, split)
    data = load_table(spec)
    if split is None:
        assign_splits(data, spec.split, spec.data.table_path)
    else:
        from keras_multimodal.training.folds import apply_split

        apply_split(data, split, spec.data.table_path)
    if preprocessor is None:
        preprocessor = Preprocessor.fit(spec, data.split("train"))
    check_categories(data, spec, preprocessor)  # strict inputs: no category unseen in training
    return PreparedData(data=data, preprocessor=preprocessor)


def _prepare_streaming(spec, preprocessor, split):
    from keras_multimodal.data.streaming_stats import scan_table
    from keras_multimodal.errors import SpecError

    if split is not None:
        raise SpecError("data.streaming", "cross-validation folds need the whole table in memory; set data.streaming: false")
    preprocessor, data = scan_table(spec, preprocessor)
    return PreparedData(data=data, preprocessor=preprocessor)


def data_hash(data, image_columns=()):
    """Content hash of the cleaned rows, labels and split (what the model sees).

    `image_columns` (columns of image paths) add a hash of each file's bytes,
    so an image replaced under the same name changes the hash too.
    """
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(data.frame.astype(str), index=False).to_numpy().tobytes())
    for column in image_columns:
        digest.update("\n".join(images.fingerprint(path) for path in data.frame[column].astype(str)).encode())
    if data.labels is not None:
        digest.update(np.ascontiguousarray(data.labels).tobytes())
    return digest.hexdigest()[:16]
