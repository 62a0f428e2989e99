"""Shared checks for tests/reliability."""

import importlib.util
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
SPECS = Path(__file__).resolve().parents[2] / "data_specs"


def error_line(err):
    """The CLI's error: exactly one line, `kmm: error: ...`, and no traceback."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("kmm: error: "), err
    return lines[0]


def replace_bytes(path, old, new):
    data = Path(path).read_bytes()
    assert old in data, old
    Path(path).write_bytes(data.replace(old, new))


def kmm_process(*args):
    """The argv of `kmm ARGS` in a fresh interpreter (for kill -9 tests)."""
    return [sys.executable, "-m", "keras_multimodal.cli", *[str(a) for a in args]]



def _root_conftest():
    # Module-scoped fixtures cannot use the function-scoped `tri_modal`; load its class from
    # tests/conftest.py under another module name ("conftest" is this folder's conftest).
    path = Path(__file__).resolve().parents[1] / "conftest.py"
    spec = importlib.util.spec_from_file_location("kmm_tests_root_conftest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TriModal = _root_conftest().TriModal
