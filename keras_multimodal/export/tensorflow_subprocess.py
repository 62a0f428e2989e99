"""Exports from another Keras backend: a TensorFlow-backend subprocess does them.

The serving graph (image decoding, tokenisation, lookups) is TensorFlow, and
a JAX model cannot be traced into it; `.keras` weights are backend-neutral,
so a child process with `KERAS_BACKEND=tensorflow` loads `model.keras` and
runs the same `kmm export` code a TensorFlow user would.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from keras_multimodal.atomic import save_model
from keras_multimodal.atomic import write_json
from keras_multimodal.atomic import write_text
from keras_multimodal.errors import RunError


def export_run_in_tensorflow(run_dir, fmt, out):
    """`kmm export RUN_DIR --format FMT --out OUT` in a TensorFlow-backend subprocess."""
    env = dict(os.environ, KERAS_BACKEND="tensorflow")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    command = [sys.executable, "-m", "keras_multimodal.cli", "export", str(run_dir), "--format", fmt, "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit code {result.returncode}"
        raise RunError(f"export under the TensorFlow backend failed ({' '.join(command[2:])}): {reason}")
    return Path(out)


def export_model_in_tensorflow(model, preprocessor, spec, out, threshold, fmt):
    """Export an in-memory model of another backend: save it as a run folder, export that."""
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".export.", dir=Path(out).parent) as folder:
        folder = Path(folder)
        save_model(model, folder / "model.keras")
        preprocessor.save(folder / "preprocessing.json")
        write_text(folder / "spec.yaml", yaml.safe_dump(spec.raw, sort_keys=False))
        write_json(folder / "metrics.json", {"threshold": threshold})
        return export_run_in_tensorflow(folder, fmt, out)
