"""Training one member of a multi-model command (compare, cv), skipping finished ones."""

import copy
from pathlib import Path

from keras_multimodal.errors import RunError
from keras_multimodal.specs.spec import Spec
from keras_multimodal.training.run_directory import read_run_json


def spec_variant(spec, changes):
    """The spec with dotted keys replaced, e.g. `{"model.fusion": "late"}`."""
    raw = copy.deepcopy(spec.raw)
    for dotted, value in changes.items():
        node = raw
        *parents, last = dotted.split(".")
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[last] = value
    return Spec.from_dict(raw, source=spec.source)


def run_member(spec, directory, verbose=0, log=print, split=None):
    """Return (Run, trained): a finished run of the same spec is reused as is.

    An unfinished one is resumed by `train` (same run-directory rules as
    `kmm train --out`); a finished run of another spec is an error rather than
    a silent mix of two experiments in one table.
    """
    from keras_multimodal.run import Run
    from keras_multimodal.training.trainer import train

    directory = Path(directory)
    state = read_run_json(directory)
    if state and state.get("status") == "finished":
        if state.get("spec_hash") != spec.hash:
            raise RunError(f"{directory} holds a finished run of a different spec; choose another --out or delete it")
        return Run(directory), False
    return train(spec, out=directory, verbose=verbose, log=log, split=split), True
