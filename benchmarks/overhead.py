"""Training overhead: the toolkit-built demo model vs the same architecture written by hand.

Both models get the same tf.data batches (the toolkit's pipeline, decoded and
cached in memory before timing, so only the model is measured), the same batch
size, optimizer, loss and metrics. After one warm-up epoch each (tracing),
timed epochs alternate between the two models; the ratio is
median(hand epoch time) / median(toolkit epoch time) = toolkit throughput / hand
throughput (goal >= 0.95).
"""

import sys
import time

from _common import Timer
from _common import benchmark_parser
from _common import demo_data_dir
from _common import demo_spec
from _common import machine_info
from _common import markdown_table
from _common import median
from _common import output_dir
from _common import print_table
from _common import write_json
from _common import write_section

GOAL = 0.95


def _cached_batches(spec, prepared):
    from keras_multimodal.data.feature_transform import FeatureTransform
    from keras_multimodal.data.pipeline import make_dataset

    transform = FeatureTransform(prepared.preprocessor, seed=spec.training.seed)
    train = prepared.data.split("train")
    ds = make_dataset(train, transform, spec.training.batch_size, training=False).cache()
    steps = sum(1 for _ in ds)  # fills the cache: timed epochs read tensors from memory
    return ds, steps, len(train.frame)


def _compile(model, spec):
    from keras_multimodal.training.fit import compile_model

    return compile_model(model, spec)


def _epoch_seconds(model, ds):
    """(wall seconds, CPU seconds of this process): on a shared machine the CPU time is the steadier measure."""
    cpu = time.process_time()
    with Timer() as timer:
        model.fit(ds, epochs=1, verbose=0)
    return timer.seconds, time.process_time() - cpu


def measure(spec, repeats):
    import keras

    from _hand_models import hand_demo_model
    from keras_multimodal.models.builder import build_model
    from keras_multimodal.training.data_setup import prepare_data

    prepared = prepare_data(spec)
    ds, steps, samples = _cached_batches(spec, prepared)
    keras.utils.set_random_seed(spec.training.seed)
    models = {
        "toolkit (build_model)": _compile(build_model(spec, prepared.preprocessor), spec),
        "hand-written Functional": _compile(hand_demo_model(spec, prepared.preprocessor), spec),
    }
    warmup = {name: _epoch_seconds(model, ds)[0] for name, model in models.items()}
    times = {name: [] for name in models}
    cpu = {name: [] for name in models}
    order = list(models)
    for repeat in range(repeats):
        for name in order if repeat % 2 == 0 else order[::-1]:  # alternate who goes first
            wall, used = _epoch_seconds(models[name], ds)
            times[name].append(wall)
            cpu[name].append(used)
    return {
        "samples_per_epoch": samples,
        "steps_per_epoch": steps,
        "batch_size": spec.training.batch_size,
        "repeats": repeats,
        "models": {
            name: {
                "params": int(models[name].count_params()),
                "warmup_epoch_s": warmup[name],
                "epoch_s": times[name],
                "median_epoch_s": median(times[name]),
                "samples_per_s": samples / median(times[name]),
                "epoch_cpu_s": cpu[name],
                "median_epoch_cpu_s": median(cpu[name]),
            }
            for name in models
        },
    }


def main(argv=None):
    parser = benchmark_parser("overhead", __doc__)
    parser.add_argument("--rows", type=int, default=None, help="synthetic demo rows (default 2000, tiny 120)")
    parser.add_argument("--repeats", type=int, default=None, help="timed epochs per model (default 9, tiny 2)")
    parser.add_argument("--data", default=None, help="folder for the synthetic data (default: a cache folder; with --tiny, inside the output folder)")
    args = parser.parse_args(argv)
    out = output_dir(args)
    rows = args.rows or (120 if args.tiny else 2000)
    repeats = args.repeats or (2 if args.tiny else 9)
    info = machine_info()
    spec = demo_spec(demo_data_dir(args, out, rows), rows, training__baselines=False)
    result = measure(spec, repeats)
    toolkit, hand = result["models"]["toolkit (build_model)"], result["models"]["hand-written Functional"]
    ratio = hand["median_epoch_s"] / toolkit["median_epoch_s"]
    cpu_ratio = hand["median_epoch_cpu_s"] / toolkit["median_epoch_cpu_s"]
    result.update(ratio=ratio, cpu_ratio=cpu_ratio, goal=GOAL, goal_met=ratio >= GOAL, cpu_goal_met=cpu_ratio >= GOAL,
                  rows=rows, machine=info, tiny=args.tiny)
    headers = ["model", "parameters", "warm-up epoch (s)", "median epoch (s)", "epochs (s)", "samples/s", "median epoch CPU (s)"]
    table = [
        [name, m["params"], m["warmup_epoch_s"], m["median_epoch_s"], " ".join(f"{t:.2f}" for t in m["epoch_s"]), m["samples_per_s"],
         m["median_epoch_cpu_s"]]
        for name, m in result["models"].items()
    ]
    print_table("Training overhead (demo model)", headers, table)
    verdict = "met" if result["goal_met"] else "NOT met"
    cpu_verdict = "met" if result["cpu_goal_met"] else "NOT met"
    print(f"throughput ratio toolkit/hand = {ratio:.3f} wall (goal >= {GOAL}: {verdict}), {cpu_ratio:.3f} CPU time ({cpu_verdict})")
    body = (
        f"Demo spec, {rows} synthetic rows ({result['samples_per_epoch']} training samples, batch {result['batch_size']}, "
        f"{result['steps_per_epoch']} steps per epoch), TF backend; batches decoded and cached before timing; "
        f"{repeats} timed epochs per model, alternating.\n\n"
        + markdown_table(headers, table)
        + f"\n\n**Throughput ratio toolkit / hand-written = {ratio:.3f}** (median wall-clock epoch time hand / toolkit; goal >= {GOAL}: {verdict}); "
        f"by CPU time of the process {cpu_ratio:.3f} ({cpu_verdict}). On a shared, loaded machine the wall-clock epochs vary "
        "several-fold; the CPU-time ratio is the steadier measure of what each model costs."
    )
    write_section(out, "overhead", "Overhead: toolkit model vs hand-written Keras", body, info=info, tiny=args.tiny)
    write_json(out / "overhead.json", result)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
