# ---------------------------------------------------------------------------
# Spec / data fixtures (tests/specs, tests/data, tests/test_cli_validate.py).
# Self-contained: a tiny tri-modal table (image paths, notes, labs) with real
# PNG files, written into tmp_path, and a matching spec. Nothing here imports
# TensorFlow or Keras.
# ---------------------------------------------------------------------------
import copy
import io
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

DELETE = object()  # use as a value in TriModal.raw(changes) to remove a key


def _set_path(raw, dotted, value):
    parts = dotted.split(".")
    node = raw
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    if value is DELETE:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value


_IMAGE_BYTES = {}


def _image_bytes(size, mode, fmt, color):
    key = (tuple(size), mode, fmt, color)
    if key not in _IMAGE_BYTES:
        from PIL import Image

        width, height = size
        image = Image.new(mode, (width, height))
        pixels = image.load()
        for x in range(width):
            for y in range(height):
                value = (x * 31 + y * 17 + color) % 256
                pixels[x, y] = value if mode == "L" else (value, 255 - value, (value * 3) % 256)
        stream = io.BytesIO()
        image.save(stream, format=fmt)
        _IMAGE_BYTES[key] = stream.getvalue()
    return _IMAGE_BYTES[key]


def _write_image(path, size=(8, 8), mode="L", fmt="PNG", color=0):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_image_bytes(size, mode, fmt, color))
    return path


class TriModal:
    """A tiny dataset in `folder`: `table.csv`, `images/img_NNN.png`, `spec.yaml`.

    Rows (n=40 by default), row i:
      pid 'r{i:03d}' (the id), patient 'p{i // 2:02d}' (groups of two rows),
      image_file 'img_{i:03d}.png', note, age '20+i', temp, sex M/F,
      outcome 'severe' if i % 3 == 0 else 'mild' (binary, 14 severe),
      grade 'a'/'b'/'c' by i % 3 (multiclass), score i/2 (regression),
      tag_a '1'/'0' by i % 2, tag_b 'yes'/'no' by i % 3 != 0 (multilabel),
      fold: i % 10 == 0 -> test, == 1 -> val, else train.
    """

    DELETE = DELETE

    def __init__(self, folder, n=40, files=True):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.images = self.folder / "images"
        self.rows = [self.row(i) for i in range(n)]
        if files:  # spec-only tests skip the table and images
            for row in self.rows:
                _write_image(self.images / row["image_file"], color=int(row["pid"][1:]) % 4)
            self.write_table(self.rows)

    @staticmethod
    def row(i):
        return {
            "pid": f"r{i:03d}",
            "patient": f"p{i // 2:02d}",
            "image_file": f"img_{i:03d}.png",
            "note": f"patient {i} has {'no ' if i % 2 else ''}opacity",
            "age": str(20 + i),
            "temp": f"{36.5 + (i % 5) * 0.3:.1f}",
            "sex": "F" if i % 2 else "M",
            "outcome": "severe" if i % 3 == 0 else "mild",
            "grade": "abc"[i % 3],
            "score": f"{i / 2:.1f}",
            "tag_a": "1" if i % 2 else "0",
            "tag_b": "yes" if i % 3 else "no",
            "fold": "test" if i % 10 == 0 else "val" if i % 10 == 1 else "train",
        }

    # -- files ---------------------------------------------------------------
    def write_table(self, rows=None, name="table.csv"):
        """Write rows (list of dicts; None = empty cell) as .csv, .parquet or .jsonl."""
        rows = self.rows if rows is None else rows
        path = self.folder / name
        frame = pd.DataFrame(rows)
        if name.endswith(".csv"):
            frame.to_csv(path, index=False)
        elif name.endswith(".parquet"):
            frame.to_parquet(path, index=False)
        elif name.endswith(".jsonl"):
            path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        else:
            raise ValueError(name)
        return path

    def set_cell(self, index, column, value, name="table.csv"):
        """Change one cell of the default rows and rewrite the table."""
        self.rows[index][column] = value
        return self.write_table(self.rows, name)

    def png(self, name, **kwargs):
        return _write_image(self.images / name, **kwargs)

    def jpeg(self, name, **kwargs):
        kwargs.setdefault("mode", "RGB")
        return _write_image(self.images / name, fmt="JPEG", **kwargs)

    # -- spec ----------------------------------------------------------------
    @staticmethod
    def base_spec():
        return {
            "name": "tiny",
            "data": {"table": "table.csv", "id": "pid"},
            "target": {"column": "outcome", "task": "binary", "positive": ["severe"]},
            "split": {"test": 0.2, "val": 0.2, "seed": 1},
            "inputs": {
                "xray": {"type": "image", "column": "image_file", "path_template": "images/{}", "size": [16, 16], "channels": 1},
                "notes": {"type": "text", "column": "note", "sequence_length": 16},
                "labs": {"type": "tabular", "numeric": ["age", "temp"], "categorical": ["sex"]},
            },
            "model": {"fusion": "concat", "encoders": {"xray": "cnn", "notes": {"name": "lstm", "units": 8}}},
            "training": {"epochs": 1, "batch_size": 8, "seed": 3},
        }

    def raw(self, changes=None, **sections):
        """The base spec with `{"dotted.key": value}` changes and whole sections replaced."""
        raw = copy.deepcopy(self.base_spec())
        raw.update(copy.deepcopy(sections))
        for dotted, value in (changes or {}).items():
            _set_path(raw, dotted, value)
        return raw

    def write_spec(self, raw=None, name="spec.yaml", text=None):
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            text = yaml.safe_dump(self.raw() if raw is None else raw, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    def spec(self, changes=None, **sections):
        """Write the (changed) spec and load it with `load_spec`."""
        from keras_multimodal.specs import load_spec

        return load_spec(self.write_spec(self.raw(changes, **sections)))

    def table(self, changes=None, **sections):
        """`load_table` for the (changed) spec."""
        from keras_multimodal.data.table import load_table

        return load_table(self.spec(changes, **sections))

    def split_table(self, changes=None, **sections):
        """`load_table` then `assign_splits`, as validation and training do."""
        from keras_multimodal.data.split import assign_splits
        from keras_multimodal.data.table import load_table

        spec = self.spec(changes, **sections)
        data = load_table(spec)
        return assign_splits(data, spec.split, spec.data.table_path)


@pytest.fixture(scope="session")
def tri_modal_class():
    """`TriModal` itself, for module- or session-scoped fixtures (tmp_path is per test)."""
    return TriModal


@pytest.fixture
def tri_modal(tmp_path):
    """A `TriModal` dataset (table, images, spec helpers) in tmp_path."""
    return TriModal(tmp_path)


@pytest.fixture
def tri_modal_spec(tmp_path):
    """A `TriModal` in tmp_path whose table and images are not written (spec-only tests)."""
    return TriModal(tmp_path, files=False)


@pytest.fixture
def make_tri_modal(tmp_path):
    """Factory: `make_tri_modal("sub", n=60)` writes a TriModal dataset into tmp_path/sub."""

    def make(folder="data", n=40):
        return TriModal(tmp_path / folder, n=n)

    return make


# --------------------------- end of spec / data fixtures --------------------


# Trained-run fixtures (one tiny demo run per session), shared by training/export tests.
pytest_plugins = ["run_fixtures"]


@pytest.fixture(autouse=True)
def _seeded_keras():
    """Each test starts from the same random state, so weight initialisation is the same on every machine.

    Unseeded Keras initialisers draw a fresh seed per process: a check that holds for almost every
    initialisation (a moved input changes the output) then fails on one CI run in many. Seeding only
    where Keras is already loaded keeps the spec and CLI tests free of the import.
    """
    import sys

    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(1337)
    yield


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run tests marked slow")
    parser.addoption("--notebooks", action="store_true", default=False, help="also execute the tutorials in notebooks/")


def pytest_configure(config):
    config.addinivalue_line("markers", "notebooks: executes a Jupyter tutorial (minutes); run with --notebooks")


def pytest_collection_modifyitems(config, items):
    # Executing the tutorials takes minutes, beyond the default suite's budget: a CI tier of its own.
    if not config.getoption("--notebooks"):
        skip_notebooks = pytest.mark.skip(reason="executes a Jupyter tutorial: run with --notebooks")
        for item in items:
            if item.get_closest_marker("notebooks"):  # not item.keywords: that holds tests/notebooks/ too
                item.add_marker(skip_notebooks)
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow acceptance test: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
