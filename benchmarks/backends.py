"""Backends: epoch time of the demo model on TensorFlow and JAX.

Each measurement runs in a fresh subprocess with KERAS_BACKEND set (a Keras
backend is fixed at import). Both get the toolkit's tf.data pipeline (which
tokenises in TensorFlow on every backend), the toolkit-built model and plain
`model.fit`. Runs alternate between the backends; per run, the first epoch
(tracing/compilation) is reported apart from the median of the steady epochs.
"""

import json
import os
import subprocess
import sys

from _common import BENCHMARKS_DIR
from _common import Timer
from _common import benchmark_parser
from _common import demo_data_dir
from _common import demo_spec
from _common import epoch_timer
from _common import machine_info
from _common import markdown_table
from _common import median
from _common import output_dir
from _common import print_table
from _common import write_json
from _common import write_section

BACKENDS = ("tensorflow", "jax")
_MARK = "BACKEND_RESULT "


def worker(data_dir, rows, epochs):
    """In the subprocess: train the demo for `epochs` epochs, print the times as JSON."""
    import keras

    from keras_multimodal.data.feature_transform import FeatureTransform
    from keras_multimodal.data.pipeline import make_dataset
    from keras_multimodal.models.builder import build_model
    from keras_multimodal.training.data_setup import prepare_data
    from keras_multimodal.training.fit import compile_model

    spec = demo_spec(data_dir, rows, training__baselines=False)
    prepared = prepare_data(spec)
    train = prepared.data.split("train")
    transform = FeatureTransform(prepared.preprocessor, seed=spec.training.seed)
    ds = make_dataset(train, transform, spec.training.batch_size, training=True, seed=spec.training.seed)
    keras.utils.set_random_seed(spec.training.seed)
    model = compile_model(build_model(spec, prepared.preprocessor), spec)
    timer = epoch_timer()
    history = model.fit(ds, epochs=epochs, verbose=0, callbacks=[timer])
    result = {
        "backend": keras.backend.backend(),
        "samples": len(train.frame),
        "epoch_s": timer.times,
        "final_loss": float(history.history["loss"][-1]),
        "jit_compile": bool(getattr(model, "jit_compile", False)),
    }
    print(_MARK + json.dumps(result), flush=True)


def _run_backend(backend, data_dir, rows, epochs, timeout):
    env = dict(os.environ, KERAS_BACKEND=backend)
    command = [sys.executable, str(BENCHMARKS_DIR / "backends.py"), "--worker", "--data", str(data_dir), "--rows", str(rows), "--epochs", str(epochs)]
    with Timer() as timer:
        try:
            proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"backend": backend, "error": f"timed out after {timeout} s"}
    for line in proc.stdout.splitlines():
        if line.startswith(_MARK):
            result = json.loads(line[len(_MARK):])
            result["process_s"] = timer.seconds
            return result
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {"backend": backend, "error": f"exit {proc.returncode}: " + " | ".join(tail)}


def _prepare_data(data_dir, rows):
    """Generate the demo data once in this process, so no worker times the generator."""
    from keras_multimodal.data.table import load_table

    load_table(demo_spec(data_dir, rows))


def main(argv=None):
    parser = benchmark_parser("backends", __doc__)
    parser.add_argument("--rows", type=int, default=None, help="synthetic demo rows (default 2000, tiny 120)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs per run (default 5, tiny 2)")
    parser.add_argument("--runs", type=int, default=None, help="subprocess runs per backend (default 3, tiny 1)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per subprocess")
    parser.add_argument("--data", default=None, help="folder for the synthetic data")
    parser.add_argument("--worker", action="store_true", help=argparse_suppress())
    args = parser.parse_args(argv)
    rows = args.rows or (120 if args.tiny else 2000)
    epochs = args.epochs or (2 if args.tiny else 5)
    if args.worker:
        return worker(args.data, rows, epochs)
    out = output_dir(args)
    data_dir = demo_data_dir(args, out, rows)
    info = machine_info()
    _prepare_data(data_dir, rows)
    runs = {backend: [] for backend in BACKENDS}
    for i in range(args.runs or (1 if args.tiny else 3)):
        for backend in BACKENDS if i % 2 == 0 else BACKENDS[::-1]:
            runs[backend].append(_run_backend(backend, data_dir, rows, epochs, args.timeout))
    headers = ["backend", "runs ok", "first epoch (s, median)", "steady epoch (s, median)", "steady samples/s", "jit_compile", "process (s, median)", "errors"]
    table, summary = [], {}
    for backend, results in runs.items():
        good = [r for r in results if "error" not in r]
        errors = "; ".join(r["error"] for r in results if "error" in r)
        if good:
            first = median([r["epoch_s"][0] for r in good])
            steady = median([median(r["epoch_s"][1:]) for r in good])
            summary[backend] = {"first_epoch_s": first, "steady_epoch_s": steady, "samples_per_s": good[0]["samples"] / steady}
            table.append([backend, f"{len(good)}/{len(results)}", first, steady, summary[backend]["samples_per_s"], good[0]["jit_compile"], median([r["process_s"] for r in good]), errors])
        else:
            table.append([backend, f"0/{len(results)}", "", "", "", "", "", errors])
    ratio = summary["jax"]["steady_epoch_s"] / summary["tensorflow"]["steady_epoch_s"] if len(summary) == 2 else None
    print_table("Backends (demo model, toolkit tf.data pipeline)", headers, table)
    result = {"runs": runs, "summary": summary, "jax_over_tf_steady": ratio, "rows": rows, "epochs": epochs, "machine": info, "tiny": args.tiny}
    note = f"\n\nSteady epoch time JAX / TensorFlow = **{ratio:.2f}**." if ratio else "\n\nNo ratio: a backend failed (see errors)."
    body = (
        f"Demo spec, {rows} synthetic rows, batch 32, {epochs} epochs per run (first = tracing/compilation), "
        f"{len(runs['tensorflow'])} alternating subprocess runs per backend.\n\n" + markdown_table(headers, table) + note
    )
    write_section(out, "backends", "Backends: TensorFlow vs JAX", body, info=info, tiny=args.tiny)
    write_json(out / "backends.json", result)
    return result


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
