"""`compare(spec)`: every fusion and every single-modality model on one split, side by side."""

from pathlib import Path

import pandas as pd

from keras_multimodal.errors import SpecError
from keras_multimodal.training.member_runs import run_member
from keras_multimodal.training.member_runs import spec_variant


def compare(spec, fusions=None, out=None, verbose=0, progress=True, n_boot=1000):
    """Train each fusion and one model per modality; write and return the comparison.

    Every member is a normal run directory under `out` (default
    `runs/<name>-compare`), trained by `keras_multimodal.train` with the
    spec's split and seed; a finished member is reused, so re-running the
    same command resumes the comparison. Writes `comparison.csv`,
    `comparison.md` and `comparison.png` into `out`.

    Args:
        spec: `keras_multimodal.Spec`.
        fusions: list. Fusion names, or dicts in the form of the spec's
            `model.fusion` (`{"name": "cross_attention", "dim": 32}`) whose
            options override those taken from the spec; default all
            registered fusions.
        out: str or Path. The comparison folder.
        verbose: int. Keras progress bar verbosity per member.
        progress: bool. Show a tqdm progress bar over the members.
        n_boot: int. Resamples for the paired bootstrap CIs.

    Returns:
        pandas DataFrame, one row per model, best first (the `comparison.csv` table).
    """
    from tqdm.auto import tqdm

    from keras_multimodal.training.comparison_report import comparison_table
    from keras_multimodal.training.comparison_report import write_comparison

    from keras_multimodal.validation import validate

    out = Path(out) if out is not None else Path("runs") / f"{spec.name}-compare"
    members = comparison_members(spec, _check_fusions(spec, fusions))
    validate(spec)  # data and split errors before the first member starts
    runs = []
    bar = tqdm(members, desc=f"compare {spec.name}", unit="model", disable=not progress)
    for label, kind, member, folder in bar:
        bar.set_postfix_str(label)
        run, _ = run_member(member, out / folder, verbose=verbose, log=tqdm.write)
        runs.append((label, kind, run))
    table = comparison_table(runs, spec.target.task, row_groups(spec), n_boot, spec.training.seed)
    write_comparison(out, table, spec, n_boot)
    return table


def _check_fusions(spec, fusions):
    """The fusions as `(name, options)`; unknown, repeated or malformed entries are a SpecError."""
    from keras_multimodal.fusion import list_fusions
    from keras_multimodal.fusion.registry import FUSIONS

    known = list_fusions()
    if fusions is None:
        return [(name, {}) for name in known]
    entries = []
    for entry in fusions:
        if isinstance(entry, dict):
            options = dict(entry)
            name = options.pop("name", None)
            if not isinstance(name, str):
                raise SpecError("--fusions", f"a fusion given as a dict needs a 'name'; got {entry!r}", spec.source)
            entries.append((name.strip(), options))
        elif isinstance(entry, str):
            if entry.strip():
                entries.append((entry.strip(), {}))
        else:
            raise SpecError("--fusions", f"expected a fusion name or a dict with 'name'; got {entry!r}", spec.source)
    names = [name for name, _ in entries]
    unknown = [name for name in names if name not in known]
    if unknown or not entries:
        raise SpecError("--fusions", f"unknown fusion(s) {unknown}; expected some of {known}", spec.source)
    for name, options in entries:
        # Checked here, not when the member's model is built: a typo must not cost the members before it.
        FUSIONS.check_options(name, options, f"--fusions.{name}", spec.source)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        # Each fusion is one member folder (`fused-<name>`): two option sets of one fusion would collide.
        raise SpecError("--fusions", f"fusion(s) {repeated} listed more than once", spec.source)
    return entries


def _fusion_choice(spec, name, overrides=None):
    """The spec's fusion options that `name` also takes (all of them for the spec's own fusion), then `overrides`."""
    from keras_multimodal.fusion.registry import FUSIONS

    own = spec.model.fusion
    accepted = FUSIONS.options(name) - {"name", "dtype"}
    options = {key: value for key, value in own.options.items() if name == own.name or key in accepted}
    options.update(overrides or {})
    return {"name": name, **options} if options else name


def comparison_members(spec, fusions):
    """(label, kind, spec, folder) for each fusion (a name or `(name, options)`), then each single input."""
    members = []
    for entry in fusions:
        name, overrides = (entry, {}) if isinstance(entry, str) else entry
        member = spec_variant(spec, {"model.fusion": _fusion_choice(spec, name, overrides), "training.baselines": False})
        members.append((f"fused ({name})", "fused", member, f"fused-{name}"))
    if len(spec.inputs) < 2:
        return members  # a single input is its own unimodal model
    for name, spec_input in spec.inputs.items():
        # A lone input has nothing to fuse: concat is the plain encoder + head.
        single = spec_variant(spec.with_inputs([name]), {"model.fusion": "concat", "training.baselines": False})
        members.append((f"{spec_input.type} only ({name})", "unimodal", single, f"only-{name}"))
    return members


def row_groups(spec):
    """row_id -> group for a `group_by` split (the bootstrap resamples whole groups), else None."""
    if spec.split.kind != "group_by":
        return None
    from keras_multimodal.data.table import load_table

    data = load_table(spec)
    return pd.Series(data.groups.to_numpy(), index=data.frame["row_id"].astype(str).to_numpy())

