"""Streaming memory: peak resident-memory growth of `kmm train` at two table sizes, streamed and in memory.

For each size the synthetic demo table (`keras_multimodal.data.synthetic`:
one PNG per row, a clinical note, six tabular columns) is written once as
parquet shards (streamed runs, `data.streaming: true`, a folder of shards)
and as one parquet file (in-memory runs, the control). Each measurement is a
fresh Python process that imports everything, builds and compiles the model
(with preprocessing fitted on a fixed 1,000-row sample), records its resident
memory (RSS) as the baseline, then runs the whole `kmm train` job (statistics
pass, fit, val/test predictions, report, serving export) while a background
thread samples RSS every 10 ms. Growth = peak RSS - baseline.

Goal: growth at the large size <= 1.3 x growth at the small size when
streamed; the in-memory control is expected to grow with the table.
"""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from _common import Timer
from _common import benchmark_parser
from _common import machine_info
from _common import output_dir
from _common import print_table
from _common import write_json
from _common import write_section

GOAL = 1.3
SHARD_ROWS = 5000
SAMPLE_ROWS = 1000


def write_tables(directory, rows, image_size, seed=0):
    """`directory/shards/part-*.parquet` and `directory/table.parquet` with the same rows, images under `directory/images`."""
    from PIL import Image

    from keras_multimodal.data.synthetic import generate_frame

    directory = Path(directory)
    done = directory / "done.json"
    if done.is_file():
        return json.loads(done.read_text())
    with Timer() as timer:
        frame, images = generate_frame(rows, seed, image_size)
        (directory / "images").mkdir(parents=True, exist_ok=True)
        for path, array in images.items():
            Image.fromarray(array).save(directory / path, format="PNG")
        del images
        frame = frame.astype({"age": float, "temperature": float, "spo2": float, "crp": float})
        (directory / "shards").mkdir(exist_ok=True)
        for start in range(0, rows, SHARD_ROWS):
            frame.iloc[start : start + SHARD_ROWS].to_parquet(directory / "shards" / f"part-{start // SHARD_ROWS:05d}.parquet", index=False)
        frame.to_parquet(directory / "table.parquet", index=False)
        frame.head(SAMPLE_ROWS).to_parquet(directory / "sample.parquet", index=False)
    info = {"rows": rows, "image_size": image_size, "seconds": round(timer.seconds, 1),
            "disk_mb": round(sum(f.stat().st_size for f in directory.rglob("*") if f.is_file()) / 2**20, 1)}
    done.write_text(json.dumps(info))
    return info


def bench_spec(directory, mode, image_size, epochs, table=None):
    import keras_multimodal as kmm

    if table is None:
        table = "shards" if mode == "streaming" else "table.parquet"
    return kmm.load_spec(
        None,
        data__root=str(directory),
        data__table=table,
        data__generate=None,
        data__streaming=mode == "streaming",
        split={"hash": "patient_id", "test": 0.2, "val": 0.1},
        inputs__xray__size=[image_size, image_size],
        training__epochs=epochs,
        training__batch_size=128,
        training__patience=0,
        training__baselines=False,
    )


def _rss_mb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Sampler(threading.Thread):
    """Peak RSS, sampled every `interval` seconds until `stop()`."""

    def __init__(self, interval=0.01):
        super().__init__(daemon=True)
        self.interval, self.peak, self._stop_event = interval, _rss_mb(), threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            self.peak = max(self.peak, _rss_mb())
            time.sleep(self.interval)

    def stop(self):
        self._stop_event.set()
        self.join()
        self.peak = max(self.peak, _rss_mb())
        return self.peak


def measure(directory, mode, image_size, epochs, run_dir):
    """In this (fresh) process: baseline after imports and model build, then the train job's peak."""
    import gc

    import keras_multimodal as kmm
    from keras_multimodal.data.preprocessor import Preprocessor
    from keras_multimodal.data.table import load_table
    from keras_multimodal.models.builder import build_model
    from keras_multimodal.training.fit import compile_model

    sample_spec = bench_spec(directory, "memory", image_size, epochs, table="sample.parquet")
    sample = load_table(sample_spec)
    sample.frame["split"] = "train"
    model = compile_model(build_model(sample_spec, Preprocessor.fit(sample_spec, sample)), sample_spec)
    del model, sample
    gc.collect()
    baseline = _rss_mb()
    sampler = Sampler()
    sampler.start()
    with Timer() as timer:
        run = kmm.train(bench_spec(directory, mode, image_size, epochs), out=run_dir, overwrite=True, verbose=0, log=lambda *_: None)
    peak = sampler.stop()
    return {"mode": mode, "baseline_mb": round(baseline, 1), "peak_mb": round(peak, 1), "growth_mb": round(peak - baseline, 1),
            "train_seconds": round(timer.seconds, 1), "test_auroc": run.metrics["test"].get("auroc")}


def _child(args):
    result = measure(args.data, args.mode, args.image_size, args.epochs, args.run_dir)
    Path(args.result).write_text(json.dumps(result))


def _run_child(data, mode, args, work):
    result = work / f"{data.name}-{mode}.json"
    if args.reuse and result.is_file():
        return json.loads(result.read_text())
    command = [sys.executable, __file__, "--child", "--mode", mode, "--data", str(data), "--result", str(result),
               "--image-size", str(args.image_size), "--epochs", str(args.epochs), "--run-dir", str(work / f"run-{data.name}-{mode}")]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL if args.quiet else None)
    return json.loads(result.read_text())


def main(argv=None):
    parser = benchmark_parser("streaming_memory", __doc__)
    parser.add_argument("--sizes", type=int, nargs=2, default=None, help="small and large row counts (default 10000 100000; --tiny 300 1200)")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--modes", nargs="+", default=["streaming", "memory"], choices=["streaming", "memory"])
    parser.add_argument("--work", default=None, help="folder for the generated tables and runs (default: <out>/streaming_memory_work)")
    parser.add_argument("--quiet", action="store_true", help="hide the training processes' output")
    parser.add_argument("--reuse", action="store_true", help="reuse measurements already in --work (delete a result JSON there to redo it)")
    parser.add_argument("--child", action="store_true", help=argparse_hidden())
    for name in ("--mode", "--data", "--result", "--run-dir"):
        parser.add_argument(name, help=argparse_hidden())
    args = parser.parse_args(argv)
    if args.child:
        return _child(args)
    out = output_dir(args)
    sizes = args.sizes or ([300, 1200] if args.tiny else [10_000, 100_000])
    work = Path(args.work or out / "streaming_memory_work")
    info = machine_info()
    results, generated = {}, {}
    for rows in sizes:
        data = work / f"rows{rows}"
        generated[rows] = write_tables(data, rows, args.image_size)
        for mode in args.modes:
            results[(mode, rows)] = _run_child(data, mode, args, work)
    table, summary = _report(results, sizes, args.modes, generated)
    print_table("Peak RSS growth above imports + model build (MB)", *table)
    body = _markdown(table, summary, sizes, args)
    write_section(out, "streaming_memory", "Streaming: peak memory at two table sizes", body, info=info, tiny=args.tiny,
                  command="python benchmarks/streaming_memory.py" + (" --tiny" if args.tiny else ""))
    write_json(out / "streaming_memory.json", {"machine": info, "sizes": sizes, "generated": generated, "summary": summary,
                                               "runs": [dict(r, rows=rows) for (_, rows), r in results.items()]})
    return summary


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS


def _report(results, sizes, modes, generated):
    small, large = sizes
    rows, summary = [], {}
    for mode in modes:
        a, b = results[(mode, small)], results[(mode, large)]
        ratio = b["growth_mb"] / max(a["growth_mb"], 1e-9)
        summary[mode] = {"growth_small_mb": a["growth_mb"], "growth_large_mb": b["growth_mb"], "ratio": round(ratio, 3)}
        rows.append([mode, a["baseline_mb"], a["growth_mb"], b["baseline_mb"], b["growth_mb"], round(ratio, 3),
                     a["train_seconds"], b["train_seconds"]])
    headers = ["mode", f"baseline {small} (MB)", f"growth {small} (MB)", f"baseline {large} (MB)", f"growth {large} (MB)",
               f"ratio {large}/{small}", f"train s {small}", f"train s {large}"]
    return (headers, rows), summary


def _markdown(table, summary, sizes, args):
    from _common import markdown_table

    lines = [markdown_table(*table), ""]
    if "streaming" in summary:
        ratio = summary["streaming"]["ratio"]
        lines.append(f"Streamed ratio {ratio:.3f} (goal <= {GOAL}): **{'met' if ratio <= GOAL else 'not met'}**.")
    if "memory" in summary:
        lines.append(f"In-memory control ratio {summary['memory']['ratio']:.3f} (expected to grow with the table).")
    lines.append(
        f"\nSynthetic demo table ({sizes[0]} and {sizes[1]} rows, one distinct {args.image_size}x{args.image_size} PNG per row, "
        f"notes, 6 tabular columns), `split: {{hash: patient_id}}`, {args.epochs} epoch(s), batch 128, no baselines; "
        "streamed runs read a folder of 5,000-row parquet shards, in-memory runs one parquet file. Each figure is one fresh "
        "process: RSS after imports and building the model, then the peak of a 10 ms RSS sampler over the whole `kmm train` "
        "job (statistics pass, fit, val/test predictions, report, export)."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
