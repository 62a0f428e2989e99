"""Accuracy vs peers: the toolkit's default and best models vs scikit-learn, hand-written Keras
and AutoKeras, on the same rows and split, test AUROC with 95% bootstrap CIs and wall time.

Tasks: petfinder (text + tabular; adopted = AdoptionSpeed < 4; the issue's md5
split of the row index written as a `fold` column into a cached copy of the
table) and covid_chestxray (X-ray + note + labs; went_icu; the spec's patient
split, CIs resample patients). The toolkit's "best" model is chosen on the
validation split only: for petfinder the tuned spec data_specs/petfinder_best.yaml,
for covid the better of the candidate fusions. Every neural model trains on
the toolkit's preprocessing of the same split with early stopping on val.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from _common import BENCHMARKS_DIR
from _common import Timer
from _common import benchmark_parser
from _common import machine_info
from _common import markdown_table
from _common import output_dir
from _common import print_table
from _common import write_json
from _common import write_section

REFERENCE_LATE_FUSION = 0.780  # the scikit-learn late fusion on the petfinder split
REFERENCE_HAND_KERAS = 0.731


def _auroc_ci(y, s, groups=None):
    from sklearn.metrics import roc_auc_score

    from keras_multimodal.evaluation.metrics import bootstrap_ci

    return float(roc_auc_score(y, s)), bootstrap_ci(roc_auc_score, y, s, n_boot=1000, seed=0, groups=groups)


def _predict(model, prepared, split):
    from keras_multimodal.data.feature_transform import FeatureTransform
    from keras_multimodal.data.pipeline import make_dataset

    data = prepared.data.split(split)
    ds = make_dataset(data, FeatureTransform(prepared.preprocessor), 128)
    return model.predict(ds, verbose=0).reshape(-1)


def toolkit_model(spec):
    """Train with the code `kmm train` runs (build_model + fit_model); scores on val and test."""
    from keras_multimodal.training.data_setup import prepare_data
    from keras_multimodal.training.fit import fit_model

    with Timer() as timer:
        prepared = prepare_data(spec)
        model = fit_model(spec, prepared, tempfile.mkdtemp(prefix="kmm-bench-run-"), verbose=0)
        scores = {split: _predict(model, prepared, split) for split in ("val", "test")}
    return scores, timer.seconds


def hand_keras_model(spec):
    """The hand-written concatenation model (`_hand_models.hand_concat_model`) on the same batches."""
    import keras

    from _hand_models import hand_concat_model
    from keras_multimodal.data.feature_transform import FeatureTransform
    from keras_multimodal.data.pipeline import make_dataset
    from keras_multimodal.training.data_setup import prepare_data

    with Timer() as timer:
        prepared = prepare_data(spec)
        keras.utils.set_random_seed(spec.training.seed)
        transform = FeatureTransform(prepared.preprocessor, seed=spec.training.seed)
        batch = spec.training.batch_size
        train = make_dataset(prepared.data.split("train"), transform, batch, training=True, seed=spec.training.seed)
        val = make_dataset(prepared.data.split("val"), transform, batch)
        model = hand_concat_model(spec, prepared.preprocessor)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
        stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
        model.fit(train, validation_data=val, epochs=spec.training.epochs, callbacks=[stop], verbose=0)
        scores = {split: _predict(model, prepared, split) for split in ("val", "test")}
    return scores, timer.seconds


def autokeras_model(bench, trials, epochs, timeout):
    """AutoKeras on text + tabular in a subprocess; ({test scores} or None, seconds, note)."""
    from _sklearn_peers import _scaled_tabular

    split = bench.frame["split"].to_numpy()
    arrays = {}
    for name in ("train", "val", "test"):
        rows = split == name
        if bench.text:
            arrays[f"text_{name}"] = bench.frame.loc[rows, bench.text].to_numpy(dtype=object)
        if bench.numeric or bench.categorical:
            arrays[f"tab_{name}"] = _scaled_tabular(bench, split == "train", rows)
        arrays[f"y_{name}"] = bench.labels[rows]
    folder = Path(tempfile.mkdtemp(prefix="kmm-bench-ak-"))
    np.savez(folder / "input.npz", **arrays)
    command = [sys.executable, str(BENCHMARKS_DIR / "_autokeras_peer.py"), str(folder / "input.npz"), str(folder / "out.json"),
               "--trials", str(trials), "--epochs", str(epochs)]
    with Timer() as timer:
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, timer.seconds if hasattr(timer, "seconds") else timeout, f"timed out after {timeout} s"
    if not (folder / "out.json").exists():
        tail = " | ".join((proc.stderr or "").strip().splitlines()[-2:])
        return None, timer.seconds, f"crashed (exit {proc.returncode}): {tail}"[:400]
    result = json.loads((folder / "out.json").read_text())
    failures = "; ".join(a["error"] for a in result["attempts"])
    if "scores" not in result:
        return None, timer.seconds, f"failed: {failures}"[:400]
    note = f"with a work-around (head shape cast to int) after: {failures}"[:400] if result["work_around"] else ""
    return {"test": np.asarray(result["scores"])}, timer.seconds, note


def _row(bench, model, kind, scores, seconds, note=""):
    split = bench.frame["split"].to_numpy()
    groups = {s: None if bench.groups is None else bench.groups[split == s] for s in ("val", "test")}
    test, ci = _auroc_ci(bench.labels[split == "test"], scores["test"], groups["test"])
    val = _auroc_ci(bench.labels[split == "val"], scores["val"], groups["val"])[0] if "val" in scores else None
    return {"model": model, "kind": kind, "test_auroc": test, "test_ci": ci, "val_auroc": val, "seconds": seconds, "note": note}


def _failed(model, kind, error, seconds=None):
    return {"model": model, "kind": kind, "test_auroc": None, "test_ci": [None, None], "val_auroc": None, "seconds": seconds, "note": error}


KINDS = {"sklearn": "scikit-learn", "hand": "hand-written Keras", "toolkit": "toolkit", "autokeras": "AutoKeras"}


def _previous_rows(out, task, kinds):
    """Rows of the kinds not re-run, from the task's last result in `out` (for --only)."""
    path = Path(out) / f"accuracy_{task}.json"
    if not path.exists():
        return []
    return [r for r in json.loads(path.read_text())["result"]["rows"] if r["kind"] not in kinds]


def _hand_row(task, bench):
    try:
        scores, seconds = hand_keras_model(task["spec"])
        return _row(bench, "hand-written Keras concatenation (Embedding + pooling, dense)", "hand-written Keras", scores, seconds)
    except Exception as error:  # a failing peer is a result, not the end of the benchmark
        return _failed("hand-written Keras concatenation", "hand-written Keras", f"{type(error).__name__}: {error}"[:300])


def _toolkit_row(bench, label, spec):
    try:
        scores, seconds = toolkit_model(spec)
        return _row(bench, label, "toolkit", scores, seconds)
    except Exception as error:
        return _failed(label, "toolkit", f"{type(error).__name__}: {error}"[:300])


def _autokeras_row(bench, args):
    scores, seconds, note = autokeras_model(bench, args.autokeras_trials, args.autokeras_epochs, args.autokeras_timeout)
    if scores is None:
        return _failed("AutoKeras (text + structured data)", "AutoKeras", note, seconds)
    return _row(bench, f"AutoKeras ({args.autokeras_trials} trial(s), {args.autokeras_epochs} epochs)", "AutoKeras", scores, seconds, note)


def run_task(task, args, log=print, out=None):
    """Every peer and toolkit model on one task; with --only, other kinds' rows come from the last result."""
    from _accuracy_data import bench_data
    from _sklearn_peers import run_sklearn_peers

    only = {KINDS[k] for k in args.only.split(",")} if args.only else set(KINDS.values())
    bench = bench_data(task["name"], task["spec"])
    rows = _previous_rows(out, task["name"], only) if args.only else []

    def add(row):
        rows.append(row)
        log(f"  {row['model']}: {row['test_auroc']} {row['note']}")

    if "scikit-learn" in only:
        for name, (scores, seconds) in run_sklearn_peers(bench).items():
            add(_row(bench, name, "scikit-learn", {"test": scores}, seconds))
    if "hand-written Keras" in only:
        add(_hand_row(task, bench))
    if "toolkit" in only:
        for label, spec in task["toolkit"]:
            add(_toolkit_row(bench, label, spec))
    if args.autokeras and "AutoKeras" in only:
        add(_autokeras_row(bench, args))
    toolkit = [r for r in rows if r["kind"] == "toolkit" and r["test_auroc"] is not None]
    best = max(toolkit, key=lambda r: r["val_auroc"]) if toolkit else None
    split = bench.frame["split"].value_counts().to_dict()
    return {"task": task["name"], "rows": rows, "split_sizes": split, "positives": float(bench.labels.mean()), "best_toolkit_by_val": best and best["model"]}


def _fmt_ci(ci):
    return "" if ci[0] is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def task_table(result):
    headers = ["model", "kind", "test AUROC", "95% CI", "val AUROC", "wall (s)", "note"]
    rows = []
    for r in sorted(result["rows"], key=lambda r: -(r["test_auroc"] or 0)):
        mark = " (best by val)" if r["model"] == result["best_toolkit_by_val"] else ""
        rows.append([r["model"] + mark, r["kind"], "failed" if r["test_auroc"] is None else f"{r['test_auroc']:.3f}", _fmt_ci(r["test_ci"]),
                     "" if r["val_auroc"] is None else f"{r['val_auroc']:.3f}", "" if r["seconds"] is None else f"{r['seconds']:.0f}", r["note"]])
    return headers, rows


def goals(petfinder):
    rows = {r["model"]: r for r in petfinder["rows"]}
    best = rows.get(petfinder["best_toolkit_by_val"])
    default = next((r for r in petfinder["rows"] if r["kind"] == "toolkit" and r["model"].startswith("toolkit default")), None)
    hand = next((r for r in petfinder["rows"] if r["kind"] == "hand-written Keras"), None)
    late = next((r for r in petfinder["rows"] if r["model"].startswith("late fusion")), None)
    value = lambda r: None if r is None else r["test_auroc"]  # noqa: E731
    out = {
        "best_toolkit": value(best),
        "best_beats_reference_0.780": value(best) is not None and value(best) > REFERENCE_LATE_FUSION,
        "best_beats_measured_late_fusion": None if value(late) is None or value(best) is None else value(best) > value(late),
        "default_toolkit": value(default),
        "hand_keras": value(hand),
        "default_beats_hand_keras_measured": None if value(default) is None or value(hand) is None else value(default) > value(hand),
        "default_beats_hand_keras_reference_0.731": value(default) is not None and value(default) > REFERENCE_HAND_KERAS,
    }
    return out


def _goal_text(summary):
    yes = lambda v: "met" if v else "NOT met"  # noqa: E731
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    return (
        f"**Goals:** best toolkit model (chosen on val) test AUROC {fmt(summary['best_toolkit'])} vs the issue's reference late fusion "
        f"{REFERENCE_LATE_FUSION}: {yes(summary['best_beats_reference_0.780'])}; vs the late fusion measured here: "
        f"{yes(summary['best_beats_measured_late_fusion'])}. Default toolkit model {fmt(summary['default_toolkit'])} vs the hand-written "
        f"Keras model measured here {fmt(summary['hand_keras'])}: {yes(summary['default_beats_hand_keras_measured'])} "
        f"(vs the reference {REFERENCE_HAND_KERAS}: {yes(summary['default_beats_hand_keras_reference_0.731'])})."
    )


def main(argv=None):
    parser = benchmark_parser("accuracy", __doc__)
    parser.add_argument("--tasks", default=None, help="comma-separated: petfinder, covid (default both; --tiny: petfinder)")
    parser.add_argument("--no-autokeras", dest="autokeras", action="store_false", help="skip AutoKeras")
    parser.add_argument("--autokeras-trials", type=int, default=1)
    parser.add_argument("--autokeras-epochs", type=int, default=10)
    parser.add_argument("--autokeras-timeout", type=int, default=1800)
    parser.add_argument("--epochs", type=int, default=None, help="override every spec's training.epochs (tiny: 1)")
    parser.add_argument("--only", default=None, help="comma-separated kinds to (re-)run: sklearn, hand, toolkit, autokeras; the other rows are kept from --out's last accuracy_<task>.json")
    args = parser.parse_args(argv)
    unknown = [k for k in (args.only or "").split(",") if k and k not in KINDS]
    if unknown:
        parser.error(f"--only: unknown kind(s) {unknown}; choose from {', '.join(KINDS)}")
    out = output_dir(args)
    if args.tiny:
        args.autokeras = False  # minutes per trial: never in the smoke run
    from _accuracy_tasks import make_tasks
    info = machine_info()
    results, summary = {}, {}
    names = (args.tasks or ("petfinder" if args.tiny else "petfinder,covid")).split(",")
    for task in make_tasks(names, tiny=args.tiny, epochs=args.epochs or (1 if args.tiny else None)):
        print(f"{task['name']}:", flush=True)
        with Timer() as timer:
            result = results[task["name"]] = run_task(task, args, log=lambda m: print(m, flush=True), out=out)
        result["seconds"] = timer.seconds
        headers, rows = task_table(result)
        print_table(f"Accuracy: {task['name']}", headers, rows)
        sizes = ", ".join(f"{k} {v}" for k, v in sorted(result["split_sizes"].items()))
        body = f"{task['about']}\n\nRows per split: {sizes}; positive rate {result['positives']:.3f}; task wall time {result['seconds']:.0f} s.\n\n" + markdown_table(headers, rows)
        if args.only:
            body += (f"\n\nRe-run with `--only {args.only}`: the other rows (and their wall times) are kept from the previous run "
                     "of this task in the same folder; the machine line above is the re-run's.")
        if task["name"] == "petfinder":
            summary = goals(result)
            body += "\n\n" + _goal_text(summary)
            print(_goal_text(summary))
        # One section per task, written as soon as the task is done (tasks may run in separate processes).
        write_section(out, f"accuracy_{task['name']}", f"Accuracy vs peers: {task['name']} (test AUROC, 95% bootstrap CI)", body,
                      info=info, tiny=args.tiny, command=f"python benchmarks/accuracy.py --tasks {task['key']}")
        write_json(out / f"accuracy_{task['name']}.json", {"result": result, "goals": summary if task["name"] == "petfinder" else None,
                                                          "machine": info, "tiny": args.tiny})
    return {"results": results, "goals": summary}


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
