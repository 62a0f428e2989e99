"""The cleaned table a run trains on: one row per example, inputs, labels, split."""

import dataclasses

import numpy as np
import pandas as pd


@dataclasses.dataclass
class TableData:
    """Rows after filtering and cleaning.

    `frame` has `row_id`, `split`, and one column per model feature: image
    inputs as absolute paths ('' = absent), text inputs as strings ('' = absent),
    tabular columns as `<input>/<column>` (float with NaN, or str with '').
    """

    frame: pd.DataFrame
    labels: np.ndarray | None
    classes: list
    task: str
    groups: pd.Series | None = None
    skipped: list = dataclasses.field(default_factory=list)  # (row_id, column, message) per broken cell
    skipped_rows: int = 0  # rows removed for them (rows sharing a repeated id all go)
    dropped_missing_target: int = 0
    warnings: list = dataclasses.field(default_factory=list)

    def subset(self, mask):
        mask = np.asarray(mask, dtype=bool)
        return dataclasses.replace(
            self,
            frame=self.frame[mask].reset_index(drop=True),
            labels=None if self.labels is None else self.labels[mask],
            groups=None if self.groups is None else self.groups[mask].reset_index(drop=True),
        )

    def split(self, name):
        return self.subset(self.frame["split"].to_numpy() == name)

    def present(self, spec_input):
        """Boolean array: rows where this input is present."""
        return present_mask(self.frame, spec_input)


def present_mask(frame, spec_input):
    name = spec_input.name
    if spec_input.type in ("image", "text"):
        return (frame[name].astype(str).str.len() > 0).to_numpy()
    parts = []
    for column in spec_input.numeric:
        parts.append(frame[f"{name}/{column}"].notna().to_numpy())
    for column in spec_input.categorical:
        parts.append((frame[f"{name}/{column}"].astype(str).str.len() > 0).to_numpy())
    return np.any(np.stack(parts, axis=1), axis=1)
