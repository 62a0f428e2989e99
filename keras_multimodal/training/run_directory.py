"""Choosing, creating and describing a run directory (`run.json`)."""

import json
import shutil
import sys
import time
from pathlib import Path

from keras_multimodal.errors import RunError
from keras_multimodal.atomic import TEMP_PREFIX
from keras_multimodal.atomic import remove_temporaries
from keras_multimodal.atomic import write_json


def read_run_json(path):
    file = Path(path) / "run.json"
    if not file.is_file():
        return None
    try:
        return json.loads(file.read_text())
    except (OSError, ValueError):
        return None


def choose_run_dir(spec, out=None, overwrite=False, runs_root="runs"):
    """Return (directory, resuming).

    With `out`: a finished run of another spec there needs `overwrite` (the
    trainer returns a finished run of the same spec as it is); an unfinished
    run of the same spec is resumed. Without `out`: `runs/<name>`, else
    `runs/<name>-1`, `-2`, ... skipping finished runs.
    """
    if out is not None:
        return _claim(Path(out), spec, overwrite, explicit=True)
    base = Path(runs_root) / spec.name
    candidates = [base] + [base.parent / f"{base.name}-{i}" for i in range(1, 10_000)]
    for path in candidates:
        state = read_run_json(path)
        resumable = state and state.get("status") == "running" and state.get("spec_hash") == spec.hash
        if overwrite or not path.exists() or resumable or (state is None and _killed_before_start(path)):
            return _claim(path, spec, overwrite, explicit=False)
    raise RunError(f"no free run directory under {base.parent}")


def holds_finished(path, spec):
    """True when `path` holds a finished run of this very spec (re-running it is a no-op)."""
    state = read_run_json(Path(path))
    return bool(state) and state.get("status") == "finished" and state.get("spec_hash") == spec.hash


def _claim(path, spec, overwrite, explicit):
    state = read_run_json(path)
    if path.exists() and overwrite:
        shutil.rmtree(path)
        return path, False
    if state is None:
        if path.exists() and explicit and not _killed_before_start(path):
            raise RunError(f"{path} exists and is not a run directory; choose another --out or pass --overwrite")
        return path, False
    if state.get("status") == "finished":
        which = "this spec" if state.get("spec_hash") == spec.hash else "a different spec"
        raise RunError(f"{path} holds a finished run of {which}; pass --overwrite to replace it or choose another --out")
    if state.get("spec_hash") != spec.hash:
        raise RunError(f"{path} holds an unfinished run of a different spec; pass --overwrite to replace it")
    return path, True


def _killed_before_start(path):
    """True for an empty folder, or one holding only what `train` writes before `run.json`.

    (A kill between fitting the preprocessing and writing `run.json`; the
    next attempt starts afresh and refits it.)
    """
    if not path.is_dir():
        return False
    return all(item.name == "preprocessing.json" or item.name.startswith(TEMP_PREFIX) for item in path.iterdir())


def start_run(path, spec, data_hash, command, resuming):
    state = read_run_json(path) if resuming else None
    # Half-written temporaries of a killed attempt (finished files were renamed into place).
    remove_temporaries(path, patterns=(".serving.*",))
    state = state or {
        "name": spec.name,
        "command": command or " ".join(sys.argv),
        "spec_hash": spec.hash,
        "data_hash": data_hash,
        "seed": spec.training.seed,
        "versions": package_versions(),
        "started": _now(),
        "attempts": 0,
    }
    if state.get("data_hash") != data_hash:
        raise RunError(f"{path}: the data changed since this run started (data hash differs); pass --overwrite to start again")
    state.update(status="running", attempts=state.get("attempts", 0) + 1)
    write_json(Path(path) / "run.json", state)
    return state


def finish_run(path, state, **extra):
    state.update(status="finished", finished=_now(), **extra)
    write_json(Path(path) / "run.json", state)


def package_versions():
    from importlib import metadata

    versions = {"python": sys.version.split()[0]}
    for name in ("keras-multimodal", "keras", "tensorflow", "keras-hub", "keras-tuner", "numpy", "pandas", "scikit-learn", "jax"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    import keras

    versions["backend"] = keras.backend.backend()
    return versions


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
