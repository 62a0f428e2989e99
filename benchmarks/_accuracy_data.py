"""The accuracy benchmark's datasets: the same rows and split for the toolkit and every peer.

Nothing is copied into the repository: the petfinder table with its `fold`
column is derived into a cache folder outside it.
"""

import dataclasses
import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from _common import CACHE
from _common import REPO_ROOT

DATA_ROOT = Path(os.environ.get("KMM_DATA", REPO_ROOT.parent / "shared" / "data"))
_FOLDS = {0: "test", 1: "val"}


@dataclasses.dataclass
class BenchData:
    """One task as peers see it: the toolkit spec plus the same rows as a frame."""

    name: str
    spec: object  # keras_multimodal.Spec (split fixed)
    frame: pd.DataFrame  # the toolkit's cleaned rows, with `split`
    labels: np.ndarray  # 0/1
    text: str | None  # frame column of the text input
    numeric: list
    categorical: list
    image: str | None = None  # frame column of image paths
    groups: np.ndarray | None = None  # bootstrap groups (patients) for the test CI


def petfinder_fold(index):
    """The issue's split: md5 of the row index, mod 5; 0 = test, 1 = val, else train."""
    return _FOLDS.get(int(hashlib.md5(str(index).encode()).hexdigest(), 16) % 5, "train")


def petfinder_table(source=None, cache=CACHE, limit=None):
    """Write petfinder-mini.csv plus a `fold` column into the cache; return the folder."""
    source = Path(source or DATA_ROOT / "petfinder_mini_desc" / "petfinder-mini.csv")
    frame = pd.read_csv(source, index_col=0, keep_default_na=False, na_values=[""])
    frame["fold"] = [petfinder_fold(i) for i in frame.index]
    if limit:
        frame = frame.iloc[:limit]
    folder = Path(cache) / ("petfinder_fold" if not limit else f"petfinder_fold_{limit}")
    folder.mkdir(parents=True, exist_ok=True)
    from keras_multimodal.atomic import write_text

    write_text(folder / "petfinder-mini.csv", frame.to_csv())
    return folder


def _columns(spec, kind):
    return [(name, inp) for name, inp in spec.inputs.items() if inp.type == kind]


def bench_data(name, spec):
    """Load rows and split exactly as the toolkit does, and name the peers' columns."""
    from keras_multimodal.training.data_setup import prepare_data

    prepared = prepare_data(spec)
    data = prepared.data
    frame = data.frame.copy()
    text = _columns(spec, "text")
    tab = _columns(spec, "tabular")
    image = _columns(spec, "image")
    numeric = [f"{n}/{c}" for n, inp in tab for c in inp.numeric]
    categorical = [f"{n}/{c}" for n, inp in tab for c in inp.categorical]
    groups = None
    if spec.split.kind == "group_by":
        groups = np.asarray(data.groups)
    return BenchData(
        name=name,
        spec=spec,
        frame=frame,
        labels=np.asarray(data.labels).astype(int),
        text=text[0][0] if text else None,
        numeric=numeric,
        categorical=categorical,
        image=image[0][0] if image else None,
        groups=groups,
    )
