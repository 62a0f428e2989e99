"""One streaming pass over a table: the fitted preprocessing state and the counts a run reports.

The state is the one `Preprocessor.fit` learns from a whole training split
(same `preprocessing.json`): vocabularies through the same `TextVectorization`
updated chunk by chunk, numeric means and standard deviations merged exactly
per chunk, category counts summed. Memory holds one chunk plus the counts.
"""

import collections
import dataclasses
import hashlib

import numpy as np
import pandas as pd

from keras_multimodal.data import preprocessor as fitting
from keras_multimodal.data.preprocessor import Preprocessor
from keras_multimodal.data.split import SPLITS
from keras_multimodal.data.streaming_data import StreamingData
from keras_multimodal.data.streaming_table import CHUNK_ROWS
from keras_multimodal.data.streaming_table import cleaned_chunks
from keras_multimodal.data.streaming_table import fix_classes
from keras_multimodal.data.streaming_table import target_values
from keras_multimodal.data.streaming_table import with_table_classes
from keras_multimodal.data.table import check_categories
from keras_multimodal.data.table_data import TableData
from keras_multimodal.errors import DataError
from keras_multimodal.training.data_setup import data_hash


def scan_table(spec, preprocessor=None, chunk_rows=CHUNK_ROWS):
    """Read the table once: (`preprocessor`, or one fitted on the training rows, and the `StreamingData`)."""
    spec = with_table_classes(spec, chunk_rows)
    stats = StreamingStats(spec, fit=preprocessor is None)
    for chunk, data in cleaned_chunks(spec, chunk_rows):
        stats.update(data, target_values(spec, chunk))
    fitted, data = stats.finish(chunk_rows)
    preprocessor = preprocessor or fitted
    stats.check_categories(preprocessor, spec.data.table_path)
    return preprocessor, data


class Moments:
    """Count, mean and sum of squared deviations of finite values, merged chunk by chunk (Chan et al.)."""

    def __init__(self):
        self.n, self.mean, self.m2 = 0, 0.0, 0.0

    def update(self, values):
        values = np.asarray(values, dtype="float64")
        values = values[np.isfinite(values)]
        if not values.size:
            return
        n, mean = values.size, float(values.mean())
        m2 = float(((values - mean) ** 2).sum())
        delta, total = mean - self.mean, self.n + n
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.n * n / total
        self.n = total

    @property
    def std(self):
        return float(np.sqrt(self.m2 / self.n)) if self.n else 0.0


class StreamingStats:
    """Accumulators for one pass; `finish` turns them into the preprocessing state and the counts."""

    def __init__(self, spec, fit=True):
        self.spec, self.fit = spec, fit
        self.rows = collections.Counter()
        self.labels = collections.Counter()  # (split, class name or index) -> rows
        self.absent = collections.Counter()  # (input, split) -> rows without it
        self.values = set()
        self.skipped, self.first_skipped, self.dropped, self.warnings = 0, None, 0, []
        self.digest = hashlib.sha256()
        self.texts, self.numeric, self.categories, self.text_seen = {}, {}, {}, set()
        self.target = Moments()
        self.image_inputs = [n for n, s in spec.inputs.items() if s.type == "image"]
        # Strict categorical columns: the first row of each distinct value, checked once the lists are fitted.
        self.first_rows = {f"{n}/{c}": {} for n, s in spec.inputs.items() if s.type == "tabular" and s.strict for c in s.categorical}
        for name, spec_input in spec.inputs.items():
            if spec_input.type == "text" and fitting.data_free_entry(spec, name) is None:
                self.texts[name] = _text_layer(spec_input)
            elif spec_input.type == "tabular":
                self.numeric[name] = [Moments() for _ in spec_input.numeric]
                self.categories[name] = [collections.Counter() for _ in spec_input.categorical]

    def update(self, data, values):
        self.values |= values
        self.dropped += data.dropped_missing_target
        self.skipped += data.skipped_rows
        self.first_skipped = self.first_skipped or (data.skipped[0] if data.skipped else None)
        self.warnings += [w for w in data.warnings if w not in self.warnings]
        frame = data.frame
        if frame.empty:
            return
        self.digest.update(data_hash(data, self.image_inputs).encode())
        self._note_categories(frame)
        splits = frame["split"].to_numpy()
        self.rows.update(splits)
        self._count_labels(data, splits)
        for name, spec_input in self.spec.inputs.items():
            absent = ~data.present(spec_input)
            self.absent.update({(name, s): int(absent[splits == s].sum()) for s in SPLITS})
        if self.fit:
            self._fit_train(data.split("train"))

    def _note_categories(self, frame):
        for column, first in self.first_rows.items():
            values = frame[column]
            for value, row_id in zip(values[values != ""], frame["row_id"][values != ""]):
                first.setdefault(value, row_id)

    def check_categories(self, preprocessor, path):
        """`table.check_categories` over one row per distinct value of each strict column."""
        rows = [(column, value, row_id) for column, first in self.first_rows.items() for value, row_id in first.items()]
        if not rows:
            return
        frame = pd.DataFrame({"row_id": [r[2] for r in rows]})
        for column in self.first_rows:
            frame[column] = [value if c == column else "" for c, value, _ in rows]
        spec = dataclasses.replace(self.spec, data=dataclasses.replace(self.spec.data, table=str(path)))
        check_categories(TableData(frame=frame, labels=None, classes=[], task=self.spec.target.task), spec, preprocessor)

    def _count_labels(self, data, splits):
        if data.task in ("binary", "multiclass"):  # indices into the whole table's classes
            self.labels.update(zip(splits, np.asarray(data.labels).astype(int).tolist()))

    def _fit_train(self, train):
        frame = train.frame
        for name, layer in self.texts.items():
            texts = frame[name][train.present(self.spec.inputs[name])].tolist()
            if texts:
                layer.update_state(np.asarray(texts, dtype=object))
                self.text_seen.add(name)
        for name, moments in self.numeric.items():
            for moment, column in zip(moments, self.spec.inputs[name].numeric):
                moment.update(frame[f"{name}/{column}"].to_numpy(dtype="float64"))
        for name, counters in self.categories.items():
            for counter, column in zip(counters, self.spec.inputs[name].categorical):
                values = frame[f"{name}/{column}"]
                counter.update(values[values != ""].tolist())
        if train.task == "regression":
            self.target.update(train.labels)

    def finish(self, chunk_rows):
        spec, classes = fix_classes(self.spec, self.values)
        data = StreamingData(
            spec=spec,
            classes=classes,
            task=spec.target.task,
            rows={s: int(self.rows.get(s, 0)) for s in SPLITS},
            class_counts=self._class_counts(classes),
            absent={n: {s: int(self.absent.get((n, s), 0)) for s in SPLITS} for n in spec.inputs},
            content_hash=self.digest.hexdigest()[:16],
            skipped=self.skipped,
            first_skipped=self.first_skipped,
            dropped_missing_target=self.dropped,
            warnings=self.warnings,
            chunk_rows=chunk_rows,
        )
        data.warnings += check_counts(data, spec.data.table_path)
        return (self._state(classes) if self.fit else None), data

    def _class_counts(self, classes):
        if self.spec.target.task not in ("binary", "multiclass"):
            return {}
        out = {s: [0] * len(classes) for s in SPLITS}
        for (split, index), count in self.labels.items():
            out[split][index] += count
        return out

    def _state(self, classes):
        spec, state = self.spec, {}
        for name, spec_input in spec.inputs.items():
            if spec_input.type == "image":
                entry = fitting._fit_image(spec_input, None)
            elif spec_input.type == "text" and name not in self.texts:
                entry = fitting.data_free_entry(spec, name)
            elif spec_input.type == "text":
                entry = _text_entry(self.texts[name], spec_input, name in self.text_seen)
            else:
                entry = self._tabular_entry(name, spec_input)
            state[name] = {"type": spec_input.type, **entry}
        if spec.target.task == "regression":
            state["__target__"] = {"classes": [], "mean": self.target.mean, "std": self.target.std or 1.0}
        else:
            state["__target__"] = {"classes": list(classes)}
        return Preprocessor(state)

    def _tabular_entry(self, name, spec_input):
        # The same rules as `Preprocessor.fit` on a whole split (`preprocessor._fit_tabular`).
        means = [m.mean if m.n else 0.0 for m in self.numeric[name]]
        stds = [m.std if m.n > 1 else 1.0 for m in self.numeric[name]]
        categories = []
        for counts in self.categories[name]:
            ordered = sorted(counts, key=lambda v: (-counts[v], v))[: fitting._MAX_CATEGORIES]
            categories.append([str(v) for v in ordered])
        return {
            "numeric": list(spec_input.numeric),
            "categorical": list(spec_input.categorical),
            "mean": means,
            "std": [s if s > 1e-12 else 1.0 for s in stds],
            "categories": categories,
        }


def _text_layer(spec_input):
    import keras

    from keras_multimodal.data.tf_ops import standardize_option

    layer = keras.layers.TextVectorization(max_tokens=spec_input.max_tokens, standardize=standardize_option(spec_input.standardize))
    layer.reset_state()
    return layer


def _text_entry(layer, spec_input, seen):
    if not seen:  # no training text: adapt on "" as the whole-split fit does
        layer.update_state(np.asarray([""], dtype=object))
    layer.finalize_state()
    return {
        "vocabulary": [str(token) for token in layer.get_vocabulary()],
        "sequence_length": spec_input.sequence_length,
        "standardize": spec_input.standardize,
    }


def check_counts(data, path):
    """`split.check_splits` on counts: errors for an empty split or a class missing from train."""
    for name in SPLITS:
        if data.rows[name] == 0:
            raise DataError(f"the {name} split is empty ({data.rows} rows per split): use more data or other fractions", file=str(path))
    warnings = []
    for index, name in enumerate(data.classes if data.class_counts else []):
        train, val, test = (data.class_counts[s][index] for s in SPLITS)
        if not train and (val or test):
            raise DataError(f"class {name!r} is in val/test but never in train", file=str(path))
        if not train:
            raise DataError(f"class {name!r} has no rows in train", file=str(path))
        if not (val or test):
            warnings.append(f"class {name!r} is in train but absent from val and test")
    return warnings
