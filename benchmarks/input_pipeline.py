"""Input pipeline: the toolkit's tf.data pipeline vs the seed tutorial's pipeline ported by hand.

On the synthetic demo data (PNG images on disk, notes, labs), training split:
- pipeline rate: samples/s when only iterating the batches (no model). The
  toolkit's first epoch decodes images (then cached in memory); later epochs
  are "steady". The hand port (`_hand_pipeline.py`) re-opens every image each
  epoch, as the tutorial's generators do. Goal: toolkit steady >= 5x hand.
- model consumption rate: samples/s of the demo model's training steps on
  batches already in memory. Goal: toolkit steady pipeline >= 2x that, so the
  pipeline never starves training.
- end to end: one training epoch fed by each pipeline.
"""

import sys

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

SPEEDUP_GOAL = 5.0
HEADROOM_GOAL = 2.0


def _iterate(batches):
    with Timer() as timer:
        for _ in batches:
            pass
    return timer.seconds


def _in_memory(ds):
    """The same batches as tensors in memory: what the model alone consumes."""
    import numpy as np
    import tensorflow as tf

    xs, ys = [], []
    for x, y in ds:
        xs.append({k: v.numpy() for k, v in x.items()})
        ys.append(y.numpy())
    x = {k: np.concatenate([b[k] for b in xs]) for k in xs[0]}
    return tf.data.Dataset.from_tensor_slices((x, np.concatenate(ys))).batch(len(ys[0])).cache()


def _fit_epoch(model, data):
    with Timer() as timer:
        model.fit(data, epochs=1, verbose=0)
    return timer.seconds


def measure(spec, epochs):
    import keras

    from _hand_pipeline import HandPipeline
    from keras_multimodal.data.feature_transform import FeatureTransform
    from keras_multimodal.data.pipeline import make_dataset
    from keras_multimodal.models.builder import build_model
    from keras_multimodal.training.data_setup import prepare_data
    from keras_multimodal.training.fit import compile_model

    prepared = prepare_data(spec)
    train = prepared.data.split("train")
    n, batch = len(train.frame), spec.training.batch_size
    transform = FeatureTransform(prepared.preprocessor, seed=spec.training.seed)
    ds = make_dataset(train, transform, batch, training=True, seed=spec.training.seed)
    with Timer() as fit_time:
        hand = HandPipeline(train.frame, spec)
    toolkit_epochs = [_iterate(ds) for _ in range(epochs)]
    hand_epochs = [_iterate(hand.generator(train.frame, train.labels, batch, seed=e)) for e in range(max(2, epochs - 1))]

    keras.utils.set_random_seed(spec.training.seed)
    model = compile_model(build_model(spec, prepared.preprocessor), spec)
    memory = _in_memory(ds)
    _fit_epoch(model, memory)  # tracing
    model_epochs = [_fit_epoch(model, memory) for _ in range(3)]
    end_to_end = {"toolkit tf.data": [], "hand-written generator": []}
    for _ in range(2):
        end_to_end["toolkit tf.data"].append(_fit_epoch(model, ds))
        end_to_end["hand-written generator"].append(_fit_epoch(model, hand.generator(train.frame, train.labels, batch)))
    return {
        "samples": n,
        "batch_size": batch,
        "hand_fit_s": fit_time.seconds,
        "toolkit_epoch_s": toolkit_epochs,
        "hand_epoch_s": hand_epochs,
        "model_epoch_s": model_epochs,
        "end_to_end_epoch_s": end_to_end,
    }


def summarise(result):
    n = result["samples"]
    toolkit_cold = n / result["toolkit_epoch_s"][0]
    toolkit_steady = n / median(result["toolkit_epoch_s"][1:])
    hand = n / median(result["hand_epoch_s"])
    model = n / median(result["model_epoch_s"])
    return {
        "toolkit_first_epoch_samples_per_s": toolkit_cold,
        "toolkit_steady_samples_per_s": toolkit_steady,
        "hand_samples_per_s": hand,
        "model_samples_per_s": model,
        "speedup_steady": toolkit_steady / hand,
        "speedup_first_epoch": toolkit_cold / hand,
        "headroom": toolkit_steady / model,
        "hand_headroom": hand / model,
    }


def main(argv=None):
    parser = benchmark_parser("input_pipeline", __doc__)
    parser.add_argument("--rows", type=int, default=None, help="synthetic demo rows (default 2000, tiny 120)")
    parser.add_argument("--epochs", type=int, default=None, help="pipeline epochs timed (default 5, tiny 3)")
    parser.add_argument("--image-size", type=int, default=64, help="pixel size of the stored synthetic images (the model input stays 64x64; default 64)")
    parser.add_argument("--data", default=None, help="folder for the synthetic data")
    args = parser.parse_args(argv)
    out = output_dir(args)
    rows = args.rows or (120 if args.tiny else 2000)
    epochs = max(args.epochs or (3 if args.tiny else 5), 2)
    info = machine_info()
    data_dir = demo_data_dir(args, out, rows)
    if args.image_size != 64 and not args.data:
        data_dir = data_dir.with_name(f"{data_dir.name}_{args.image_size}px")
    spec = demo_spec(data_dir, rows, training__baselines=False, data__generate__image_size=args.image_size)
    result = measure(spec, epochs)
    s = summarise(result)
    result.update(summary=s, rows=rows, image_size=args.image_size, machine=info, tiny=args.tiny,
                  goals={"speedup": SPEEDUP_GOAL, "headroom": HEADROOM_GOAL},
                  goals_met={"speedup": s["speedup_steady"] >= SPEEDUP_GOAL, "headroom": s["headroom"] >= HEADROOM_GOAL})
    e2e = result["end_to_end_epoch_s"]
    headers = ["what", "samples/s", "vs hand-written", "vs model consumption"]
    table = [
        ["toolkit tf.data, first epoch (decodes images)", s["toolkit_first_epoch_samples_per_s"], s["speedup_first_epoch"], s["toolkit_first_epoch_samples_per_s"] / s["model_samples_per_s"]],
        ["toolkit tf.data, steady epochs (decoded images cached)", s["toolkit_steady_samples_per_s"], s["speedup_steady"], s["headroom"]],
        ["hand-written generator (PIL, dict vocabulary, NumPy padding)", s["hand_samples_per_s"], 1.0, s["hand_headroom"]],
        ["model training steps on in-memory batches (consumption)", s["model_samples_per_s"], "", 1.0],
    ]
    print_table("Input pipeline (demo data, training split)", headers, table)
    e2e_table = [[name, median(times), " ".join(f"{t:.2f}" for t in times)] for name, times in e2e.items()]
    print_table("Training epoch fed by each pipeline", ["pipeline", "median epoch (s)", "epochs (s)"], e2e_table)
    verdicts = {k: "met" if v else "NOT met" for k, v in result["goals_met"].items()}
    body = (
        f"Demo data, {rows} synthetic rows with {args.image_size}x{args.image_size} PNG images (model input 64x64), training split {result['samples']} samples, batch {result['batch_size']}, TF backend; "
        f"pipeline epochs timed without a model ({epochs} toolkit, {len(result['hand_epoch_s'])} hand-written).\n\n"
        + markdown_table(headers, table)
        + f"\n\n**Speed-up (steady) = {s['speedup_steady']:.1f}x** (goal >= {SPEEDUP_GOAL:g}x: {verdicts['speedup']}); "
        f"first epoch {s['speedup_first_epoch']:.1f}x. **Pipeline / model consumption = {s['headroom']:.1f}x** "
        f"(goal >= {HEADROOM_GOAL:g}x: {verdicts['headroom']}); the hand-written generator reaches {s['hand_headroom']:.2f}x.\n\n"
        "A training epoch (demo model, after warm-up) fed by each pipeline:\n\n"
        + markdown_table(["pipeline", "median epoch (s)", "epochs (s)"], e2e_table)
    )
    # The demo's own 64 px images and larger stored images (resized by both pipelines) get separate sections.
    section = "input_pipeline" if args.image_size == 64 else f"input_pipeline_{args.image_size}px"
    title = "Input pipeline: tf.data vs the hand-ported tutorial generator" + ("" if args.image_size == 64 else f" ({args.image_size} px images)")
    command = "python benchmarks/input_pipeline.py" + ("" if args.image_size == 64 else f" --image-size {args.image_size}")
    write_section(out, section, title, body, info=info, tiny=args.tiny, command=command)
    write_json(out / f"{section}.json", result)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
