"""GPU check: train the demo with mixed precision and XLA; report throughput and GPU memory.

    python benchmarks/gpu_check.py --out DIR

Trains the toolkit's demo model (synthetic data generated on the spot) in four
configurations in one process: float32 without XLA (the baseline),
float32 + XLA (`jit_compile=True`), mixed_float16, and mixed_float16 + XLA. Per
configuration: first epoch (tracing/compilation), steady epochs (samples/s,
median), peak GPU memory (`tf.config.experimental.get_memory_info('GPU:0')`,
reset between configurations) and the final training loss (a NaN would mean
the loss scaling failed). Writes DIR/gpu_check.json, DIR/gpu_check.md and a
`gpu_check` section in DIR/RESULTS.md.

Without a GPU it runs a smoke mode (tiny data, two epochs, XLA only with
--xla-smoke since it compiles for minutes on a CPU) that CI exercises.
It first prints which packages are present: the machine may lack some, and it
never installs anything. `--from-json FILE` re-renders a saved result as the
RESULTS.md section (to copy a device run into benchmarks/RESULTS.md).
"""

import argparse
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import epoch_timer

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
REQUIRED = ["numpy", "pandas", "yaml", "PIL", "tensorflow", "keras"]
OPTIONAL = ["keras_hub", "jax", "sklearn"]
CONFIGS = [
    ("float32", False),
    ("float32", True),
    ("mixed_float16", False),
    ("mixed_float16", True),
]
for path in (str(REPO_ROOT), str(HERE)):
    if path not in sys.path:
        sys.path.insert(0, path)


def diagnose():
    """{module: version or None}, plus the GPUs nvidia-smi sees; prints a readable report."""
    found = {}
    for name in REQUIRED + OPTIONAL:
        try:
            module = importlib.import_module(name)
            found[name] = str(getattr(module, "__version__", "present"))
        except Exception as error:  # ImportError, or a broken install raising anything
            found[name] = None
            found[f"{name}__error"] = f"{type(error).__name__}: {error}"[:200]
    try:
        import keras_multimodal

        found["keras_multimodal"] = keras_multimodal.__version__
    except Exception as error:
        found["keras_multimodal"] = None
        found["keras_multimodal__error"] = f"{type(error).__name__}: {error}"[:200]
    try:
        smi = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        smi = ""
    print(f"python {platform.python_version()} on {platform.platform(terse=True)}")
    print(f"nvidia-smi: {smi or 'not available'}")
    for name in REQUIRED + OPTIONAL + ["keras_multimodal"]:
        kind = "required" if name in REQUIRED + ["keras_multimodal"] else "optional"
        status = found[name] or f"MISSING ({found.get(name + '__error', '')})"
        print(f"  {name:18s} {kind:8s} {status}")
    missing = [n for n in REQUIRED + ["keras_multimodal"] if not found[n]]
    if missing:
        print(f"cannot run: missing {', '.join(missing)}. Install them (e.g. `pip install -e .` in the repository) "
              "or use a machine that has them; this script never installs anything.", flush=True)
    return found, smi, missing


def _gpu_memory(tf, reset=False):
    try:
        if reset:
            tf.config.experimental.reset_memory_stats("GPU:0")
            return None
        return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
    except (ValueError, RuntimeError, AttributeError):
        return None


def run_config(spec, prepared, ds, policy, xla, epochs):
    import keras
    import tensorflow as tf

    from keras_multimodal.models.builder import build_model
    from keras_multimodal.training.fit import compile_model

    keras.mixed_precision.set_global_policy(policy)
    try:
        keras.utils.set_random_seed(spec.training.seed)
        model = compile_model(build_model(spec, prepared.preprocessor), spec)
        model.jit_compile = xla
        _gpu_memory(tf, reset=True)
        timer = epoch_timer()
        history = model.fit(ds, epochs=epochs, verbose=0, callbacks=[timer])
        samples = len(prepared.data.split("train").frame)
        steady = statistics.median(timer.times[1:]) if len(timer.times) > 1 else timer.times[0]
        return {
            "policy": policy,
            "jit_compile": bool(model.jit_compile),
            "first_epoch_s": timer.times[0],
            "steady_epoch_s": steady,
            "epoch_s": timer.times,
            "samples_per_s": samples / steady,
            "peak_gpu_memory_mib": _gpu_memory(tf),
            "final_loss": float(history.history["loss"][-1]),
            "final_auc": float(history.history.get("auc", [float("nan")])[-1]),
            "float16_layers": sum(1 for layer in model._flatten_layers() if layer.compute_dtype == "float16"),
            "loss_scale_optimizer": type(model.optimizer).__name__ == "LossScaleOptimizer",
        }
    except Exception as error:  # report the configuration as failed, keep the others
        return {"policy": policy, "jit_compile": xla, "error": f"{type(error).__name__}: {error}"[:500]}
    finally:
        keras.mixed_precision.set_global_policy("float32")


def measure(args, data_dir):
    import tensorflow as tf

    import keras_multimodal as kmm
    from keras_multimodal.data.feature_transform import FeatureTransform
    from keras_multimodal.data.pipeline import make_dataset
    from keras_multimodal.training.data_setup import prepare_data

    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    smoke = args.tiny or not gpus
    rows = args.rows or (96 if smoke else 6000)
    epochs = args.epochs or (2 if smoke else 6)
    batch = args.batch_size or (32 if smoke else 256)
    spec = kmm.load_spec(None, data__root=str(data_dir), data__generate__rows=rows, training__batch_size=batch, training__baselines=False)
    prepared = prepare_data(spec)
    transform = FeatureTransform(prepared.preprocessor, seed=spec.training.seed)
    ds = make_dataset(prepared.data.split("train"), transform, batch, training=True, seed=spec.training.seed)
    for _ in ds:  # decode and cache images before any configuration is timed
        pass
    # XLA compilation of this model takes minutes on a CPU; smoke runs skip it unless asked.
    configs = CONFIGS if not smoke or args.xla_smoke else [c for c in CONFIGS if not c[1]]
    results = []
    for policy, xla in configs:
        print(f"training: {policy}, jit_compile={xla} ...", flush=True)
        results.append(run_config(spec, prepared, ds, policy, xla, epochs))
        print("  " + json.dumps(results[-1]), flush=True)
    return {"smoke": smoke, "gpus": gpus, "rows": rows, "train_samples": len(prepared.data.split("train").frame),
            "epochs": epochs, "batch_size": batch, "configs": results,
            "tensorflow_built_with_cuda": bool(tf.test.is_built_with_cuda())}


def _cell(value, fmt):
    return "" if value is None else fmt.format(value)


def render(result):
    """Markdown: the table, with speed-up and memory relative to the float32 / no-XLA baseline."""
    configs = result.get("configs", [])
    base = next((c for c in configs if c.get("policy") == "float32" and not c.get("jit_compile") and "error" not in c), None)
    lines = ["| policy | XLA | first epoch (s) | steady epoch (s) | samples/s | vs baseline | peak GPU MiB | vs baseline | final loss | error |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for c in configs:
        if "error" in c:
            lines.append(f"| {c['policy']} | {c['jit_compile']} | | | | | | | | {c['error']} |")
            continue
        speed = c["samples_per_s"] / base["samples_per_s"] if base else None
        mem = c["peak_gpu_memory_mib"] / base["peak_gpu_memory_mib"] if base and base.get("peak_gpu_memory_mib") and c.get("peak_gpu_memory_mib") else None
        lines.append(
            f"| {c['policy']} | {c['jit_compile']} | {c['first_epoch_s']:.2f} | {c['steady_epoch_s']:.3f} | {c['samples_per_s']:,.0f} | "
            f"{_cell(speed, '{:.2f}x')} | {_cell(c['peak_gpu_memory_mib'], '{:.0f}')} | {_cell(mem, '{:.2f}x')} | {c['final_loss']:.4f} | |"
        )
    mode = "**Smoke mode (no GPU or --tiny): CPU, tiny data; the numbers say only that the code paths run.**\n\n" if result.get("smoke") else ""
    head = (f"{mode}Demo model, {result.get('rows')} synthetic rows ({result.get('train_samples')} training samples), "
            f"batch {result.get('batch_size')}, {result.get('epochs')} epochs per configuration (first = tracing/XLA compilation), "
            f"backend {result.get('backend', 'tensorflow')}, GPUs seen: {result.get('gpus') or 'none'}; nvidia-smi: {result.get('nvidia_smi') or 'n/a'}.\n\n")
    if result.get("backend") == "jax":
        head += ("JAX path: the machine had no TensorFlow, so the toolkit's tf.data pipeline ran beforehand on a CPU "
                 "(`--dump-batches`) and its tensors were tiled 8x per epoch; JAX cannot reset its peak-memory counter, "
                 "so the peak GPU memory column is the running peak of the process.\n\n")
    versions = ", ".join(f"{k} {v}" for k, v in result.get("packages", {}).items() if v and "__" not in k)
    return head + "\n".join(lines) + f"\n\nPackages: {versions}; {result.get('date', '')}."


def _write(out, result):
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu_check.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    markdown = render(result)
    (out / "gpu_check.md").write_text("# GPU check\n\n" + markdown + "\n")
    try:
        from _common import write_section

        write_section(out, "gpu_check", "GPU check: mixed precision and XLA", markdown, tiny=result.get("smoke", False),
                      command="python benchmarks/gpu_check.py --out DIR")
    except Exception as error:  # the JSON and markdown above are the result; the section is a convenience
        print(f"note: RESULTS.md section not written ({type(error).__name__}: {error})")
    return markdown


def main(argv=None):
    parser = argparse.ArgumentParser(prog="benchmarks/gpu_check.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=None, help="folder for gpu_check.json / .md / RESULTS.md (default: a temporary folder)")
    parser.add_argument("--tiny", action="store_true", help="smoke mode even on a GPU")
    parser.add_argument("--rows", type=int, default=None, help="synthetic rows (default 6000 on a GPU, 96 in smoke mode)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs per configuration (default 6, smoke 2)")
    parser.add_argument("--batch-size", type=int, default=None, help="batch size (default 256 on a GPU, 32 in smoke mode)")
    parser.add_argument("--xla-smoke", action="store_true", help="in smoke mode also run the XLA configurations (minutes to compile on a CPU)")
    parser.add_argument("--from-json", default=None, help="only render a saved gpu_check.json into --out's RESULTS.md")
    parser.add_argument("--dump-batches", default=None, metavar="DIR",
                        help="(TensorFlow side) write the demo's pipeline output to DIR for --jax-batches on a machine without TensorFlow")
    parser.add_argument("--jax-batches", default=None, metavar="DIR",
                        help="(JAX side, KERAS_BACKEND=jax) time the demo model on tensors from --dump-batches; no TensorFlow needed")
    args = parser.parse_args(argv)
    import tempfile

    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="kmm-gpu-check-"))
    if args.from_json:
        result = json.loads(Path(args.from_json).read_text())
        print(_write(out, result))
        return result
    if args.dump_batches:
        import _gpu_jax

        print(_gpu_jax.dump_batches(args.dump_batches, out / "demo_data", rows=args.rows or 2000, batch_size=args.batch_size or 256))
        return {}
    if args.jax_batches:
        # The lent GPU machines have JAX but no TensorFlow: TensorFlow is not required here.
        REQUIRED.remove("tensorflow")
    packages, smi, missing = diagnose()
    result = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "packages": packages, "nvidia_smi": smi,
              "python": platform.python_version()}
    if args.jax_batches and not missing:
        import _gpu_jax

        result.update(_gpu_jax.measure(args.jax_batches, out / "demo_data", epochs=args.epochs or 5))
        markdown = _write(out, result)
        print("\n" + markdown, flush=True)
        return result
    if missing:
        result["error"] = f"missing packages: {', '.join(missing)}"
        _write(out, result)
        print(f"wrote {out / 'gpu_check.json'}")
        return result
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    result.update(measure(args, out / "demo_data"))
    markdown = _write(out, result)
    print("\n" + markdown + f"\n\nwrote {out / 'gpu_check.json'} and {out / 'gpu_check.md'}", flush=True)
    return result


if __name__ == "__main__":
    result = main(sys.argv[1:])
    sys.exit(2 if result.get("error") or any("error" in c for c in result.get("configs", [])) else 0)
