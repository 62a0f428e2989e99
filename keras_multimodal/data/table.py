"""From a spec to a cleaned `TableData`: read, join, filter, check, label."""

import numpy as np
import pandas as pd

from keras_multimodal.data import images
from keras_multimodal.data import labels as label_ops
from keras_multimodal.data.readers import as_text
from keras_multimodal.data.readers import join_tables
from keras_multimodal.data.readers import read_table
from keras_multimodal.data.readers import require_columns
from keras_multimodal.data.readers import undecodable
from keras_multimodal.data.table_data import TableData
from keras_multimodal.data.table_data import present_mask
from keras_multimodal.errors import DataError
from keras_multimodal.errors import SpecError
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


def load_table(spec, frame=None, with_target=True, allow_empty=False, preprocessor=None):
    """Clean a table for the spec; `frame` defaults to the spec's own table.

    `allow_empty` accepts a table with no usable rows (one streamed chunk may have none).
    Broken cells (see `_handle_problems`) raise a `DataError` naming the first
    bad row, or with `data.on_bad_rows: skip` drop their rows and are listed
    in `TableData.skipped`. With a fitted `preprocessor` (prediction with a
    trained run), unseen categories of `strict` inputs are errors.
    """
    path = spec.data.table_path
    if with_target and spec.target is None:
        raise SpecError("target", "is required (a spec without a target can only be pretrained: `kmm pretrain`)", spec.source)
    frame = read_spec_table(spec) if frame is None else _prepare_external(frame, spec)
    _require_spec_columns(frame, spec, path, with_target)
    problems = []
    row_ids = _row_ids(frame, spec, path, problems)
    _undecodable_cells(frame, _used_columns(spec, with_target), row_ids, problems)
    labels, classes, keep, dropped = None, [], np.ones(len(frame), bool), 0
    if with_target:
        labels, classes, keep, dropped = label_ops.encode_labels(frame, spec.target, row_ids, path, problems)
    out = pd.DataFrame({"row_id": row_ids})
    for spec_input in spec.inputs.values():
        _add_input(out, frame, spec_input, spec.data.root, row_ids, problems)
    skipped = _handle_problems(problems, spec, path, row_ids, keep)
    broken = np.isin(row_ids, [p[0] for p in skipped]) & keep
    keep &= ~broken
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
        skipped_rows=int(broken.sum()),
        dropped_missing_target=dropped,
    )
    data = data.subset(keep)
    if data.frame.empty and not allow_empty:
        raise DataError("no usable rows (all were dropped for a missing target or skipped)", file=str(path))
    if preprocessor is not None:
        check_categories(data, spec, preprocessor)
    return data


def check_categories(data, spec, preprocessor):
    """For inputs with `strict: true`, a category outside the fitted list is an error.

    Without `strict` such a value goes to the out-of-vocabulary bucket; the
    fitted list holds the categories seen in the training split.
    """
    for name, spec_input in spec.inputs.items():
        if spec_input.type != "tabular" or not spec_input.strict:
            continue
        for column, known in zip(spec_input.categorical, preprocessor[name]["categories"]):
            values = data.frame[f"{name}/{column}"]
            unseen = ((values != "") & ~values.isin(known)).to_numpy()
            if unseen.any():
                shown = ", ".join(repr(k) for k in known[:10]) + (", ..." if len(known) > 10 else "")
                raise DataError(
                    f"category {values[unseen].iloc[0]!r} was not seen in training (inputs.{name}.strict is true; known: {shown})",
                    file=str(spec.data.table_path),
                    row=data.frame["row_id"][unseen].iloc[0],
                    column=column,
                )


def as_text_value(value):
    return "" if pd.isna(value) else normalize_value(value)


def _prepare_external(frame, spec):
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    from keras_multimodal.data.readers import mark_missing

    frame = mark_missing(frame, spec.data.na_values)
    if "__row__" not in frame.columns:  # streamed chunks bring their row numbers in the whole table
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


def _row_ids(frame, spec, path, problems):
    """The id column's values; a repeated id is a broken row (every row holding it)."""
    if not spec.data.id:
        return frame["__row__"].astype(str).to_numpy()
    ids = frame[spec.data.id].map(as_text_value)
    if (ids == "").any():
        row = int(frame["__row__"][ids == ""].iloc[0])
        raise DataError("empty row id", file=str(path), row=row, column=spec.data.id)
    repeated = ids.duplicated().to_numpy()  # skipping removes every row with the id, the first too
    for row_id, number in zip(ids[repeated], frame["__row__"][repeated]):
        problems.append((row_id, spec.data.id, f"row id {row_id!r} repeats (ids must be unique; again in table row {int(number)})"))
    return ids.to_numpy()


def _used_columns(spec, with_target):
    columns = [c for spec_input in spec.inputs.values() for c in spec_input.columns]
    if with_target:
        columns += list(spec.target.target_columns)
        columns += [spec.split.column] if spec.split.column else []
    return list(dict.fromkeys(columns))


def _undecodable_cells(frame, columns, row_ids, problems):
    for column in columns:
        bad = frame[column].map(undecodable).to_numpy(dtype=bool)
        for row_id in row_ids[bad]:
            problems.append((row_id, column, "text is not valid UTF-8"))


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


def _handle_problems(problems, spec, path, row_ids, keep):
    """Bad cells of rows that are used (rows dropped for a missing target do not count).

    Sorted by table order, so the error names the first bad row whichever
    check found it.
    """
    position = {}
    for index, row_id in enumerate(row_ids):
        position.setdefault(row_id, index)
    kept = set(row_ids[keep])
    problems = sorted((p for p in problems if p[0] in kept), key=lambda p: position[p[0]])
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
