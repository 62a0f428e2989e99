"""From a spec to a cleaned `TableData`: read, join, filter, check, label."""

import numpy as np
import pandas as pd

from keras_multimodal.data import images
from keras_multimodal.data import labels as label_ops
from keras_multimodal.data.readers import as_text
from keras_multimodal.data.readers import join_tables
from keras_multimodal.data.readers import read_table
from keras_multimodal.data.readers import require_columns
from keras_multimodal.data.table_data import TableData
from keras_multimodal.data.table_data import present_mask
from keras_multimodal.errors import DataError
from keras_multimodal.specs.fields import normalize_value


def read_spec_table(spec):
    """The raw table the spec names, joined and filtered, before any cleaning."""
    data = spec.data
    if data.generate is not None:
        from keras_multimodal.data.synthetic import make_synthetic_dataset

        gen = data.generate
        make_synthetic_dataset(data.root, rows=gen["rows"], seed=gen["seed"], image_size=gen["image_size"])
    frame = read_table(data.table_path, data.na_values)
    frame = join_tables(frame, data.join, data.root, data.na_values)
    frame["__row__"] = np.arange(len(frame))
    frame = _filter(frame, data.where, keep=True, path=data.table_path)
    frame = _filter(frame, data.exclude, keep=False, path=data.table_path)
    if frame.empty:
        raise DataError("no rows left after data.where / data.exclude", file=str(data.table_path))
    if data.limit is not None:
        frame = frame.head(data.limit)
    return frame.reset_index(drop=True)


def load_table(spec, frame=None, with_target=True):
    """Clean a table for the spec; `frame` defaults to the spec's own table."""
    path = spec.data.table_path
    frame = read_spec_table(spec) if frame is None else _prepare_external(frame, spec)
    _require_spec_columns(frame, spec, path, with_target)
    row_ids = _row_ids(frame, spec, path)
    labels, classes, keep, dropped = None, [], np.ones(len(frame), bool), 0
    if with_target:
        labels, classes, keep, dropped = label_ops.encode_labels(frame, spec.target, row_ids, path)
    out = pd.DataFrame({"row_id": row_ids})
    problems = []
    for spec_input in spec.inputs.values():
        _add_input(out, frame, spec_input, spec.data.root, row_ids, problems)
    skipped = _handle_problems(problems, spec, path, set(row_ids[keep]))
    keep &= ~np.isin(row_ids, [p[0] for p in skipped])
    _check_required(out, spec, row_ids, keep, path)
    groups = None
    if spec.split.column is not None and spec.split.column in frame.columns:  # tables to predict may lack it
        groups = frame[spec.split.column].map(as_text_value)
    data = TableData(
        frame=out,
        labels=labels,
        classes=classes,
        task=spec.target.task,
        groups=groups,
        skipped=skipped,
        dropped_missing_target=dropped,
    )
    data = data.subset(keep)
    if data.frame.empty:
        raise DataError("no usable rows (all were dropped for a missing target or skipped)", file=str(path))
    return data


def as_text_value(value):
    return "" if pd.isna(value) else normalize_value(value)


def _prepare_external(frame, spec):
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    from keras_multimodal.data.readers import mark_missing

    frame = mark_missing(frame, spec.data.na_values)
    frame["__row__"] = np.arange(len(frame))
    return frame.reset_index(drop=True)


def _filter(frame, rules, keep, path):
    require_columns(frame, rules.keys(), path, "data.where" if keep else "data.exclude")
    for column, values in rules.items():
        match = frame[column].map(as_text_value).isin(values)
        frame = frame[match if keep else ~match]
    return frame


def _require_spec_columns(frame, spec, path, with_target):
    for name, spec_input in spec.inputs.items():
        require_columns(frame, spec_input.columns, path, f"inputs.{name}")
    if with_target:
        require_columns(frame, spec.target.target_columns, path, "target")
    if spec.data.id:
        require_columns(frame, [spec.data.id], path, "data.id")
    if spec.split.column and with_target:
        require_columns(frame, [spec.split.column], path, f"split.{spec.split.kind}")


def _row_ids(frame, spec, path):
    if not spec.data.id:
        return frame["__row__"].astype(str).to_numpy()
    ids = frame[spec.data.id].map(as_text_value)
    if (ids == "").any():
        row = int(frame["__row__"][ids == ""].iloc[0])
        raise DataError("empty row id", file=str(path), row=row, column=spec.data.id)
    repeated = ids[ids.duplicated()]
    if len(repeated):
        raise DataError(f"row id {repeated.iloc[0]!r} repeats (ids must be unique)", file=str(path), column=spec.data.id)
    return ids.to_numpy()


def _add_input(out, frame, spec_input, root, row_ids, problems):
    name = spec_input.name
    if spec_input.type == "text":
        out[name] = as_text(frame[spec_input.column]).to_numpy()
    elif spec_input.type == "image":
        out[name] = _image_paths(frame[spec_input.column], spec_input, root, row_ids, problems)
    else:
        for column in spec_input.numeric:
            out[f"{name}/{column}"] = _numeric(frame[column], column, row_ids, problems)
        for column in spec_input.categorical:
            out[f"{name}/{column}"] = as_text(frame[column]).to_numpy()


def _image_paths(values, spec_input, root, row_ids, problems):
    paths = []
    for row_id, value in zip(row_ids, as_text(values)):
        if not value:
            paths.append("")
            continue
        path, problem = images.resolve_image(root, spec_input.path_template, value)
        problem = problem or images.check_image(path, spec_input.max_pixels)
        if problem:
            problems.append((row_id, spec_input.column, f"{problem}: {path or value}"))
        paths.append(path or "")
    return np.array(paths, dtype=object)


def _numeric(values, column, row_ids, problems):
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    bad = (values.notna() & numbers.isna()) | np.isinf(numbers)
    for row_id, value in zip(row_ids[bad.to_numpy()], values[bad]):
        problems.append((row_id, column, f"expected a number, found {value!r}"))
    return numbers.where(~bad, np.nan).to_numpy()


def _handle_problems(problems, spec, path, kept_ids):
    """Bad cells of rows that are used (rows dropped for a missing target do not count)."""
    problems = [p for p in problems if p[0] in kept_ids]
    if not problems:
        return []
    if spec.data.on_bad_rows == "error":
        row_id, column, message = problems[0]
        more = f" ({len(problems) - 1} more bad cells; set data.on_bad_rows: skip to drop such rows)" if len(problems) > 1 else ""
        raise DataError(message + more, file=str(path), row=row_id, column=column)
    return problems


def _check_required(out, spec, row_ids, keep, path):
    for spec_input in spec.inputs.values():
        if not spec_input.required:
            continue
        absent = ~present_mask(out, spec_input) & keep
        if absent.any():
            raise DataError(
                f"input {spec_input.name!r} is required but absent",
                file=str(path),
                row=row_ids[absent][0],
                column=",".join(spec_input.columns),
            )
