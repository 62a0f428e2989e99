"""Everything a run needs from the data: cleaned rows, splits, fitted preprocessing."""

import dataclasses
import hashlib

import numpy as np
import pandas as pd

from keras_multimodal.data.preprocessor import Preprocessor
from keras_multimodal.data.split import assign_splits
from keras_multimodal.data.table import load_table


@dataclasses.dataclass
class PreparedData:
    data: object  # TableData with a `split` column
    preprocessor: Preprocessor

    @property
    def hash(self):
        return data_hash(self.data)


def prepare_data(spec, preprocessor=None, split=None):
    """Load, split and (unless given) fit the preprocessor on the training split only.

    `split`, a row_id -> train/val/test Series (a cross-validation fold),
    replaces the spec's split.
    """
    data = load_table(spec)
    if split is None:
        assign_splits(data, spec.split, spec.data.table_path)
    else:
        from keras_multimodal.training.folds import apply_split

        apply_split(data, split, spec.data.table_path)
    if preprocessor is None:
        preprocessor = Preprocessor.fit(spec, data.split("train"))
    return PreparedData(data=data, preprocessor=preprocessor)


def data_hash(data):
    """Content hash of the cleaned rows, labels and split (what the model sees)."""
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(data.frame.astype(str), index=False).to_numpy().tobytes())
    if data.labels is not None:
        digest.update(np.ascontiguousarray(data.labels).tobytes())
    return digest.hexdigest()[:16]
