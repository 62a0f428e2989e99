"""Shared settings for the tuning tests: a small, fast search space on the tiny demo."""

import json
from pathlib import Path

TINY_SEARCH = {
    "training__epochs": 1,
    "training__baselines": False,
    "tuning__epochs": 1,
    "tuning__patience": 0,
    "tuning__max_trials": 2,
    "tuning__fusion": ["concat", "late"],
    "tuning__hidden_units": [8, 16, 32],
    "tuning__batch_size": [32, 64],
}


def trial_files(out, name="demo"):
    """{trial id: (trial.json mtime_ns, its JSON)} of the trials Keras Tuner wrote."""
    found = {}
    for path in sorted((Path(out) / "tuner" / name).glob("trial_*/trial.json")):
        found[path.parent.name] = (path.stat().st_mtime_ns, json.loads(path.read_text()))
    return found
