"""Shared pieces of the benchmark scripts: arguments, machine description, RESULTS.md sections.

`benchmarks/RESULTS.md` holds one section per benchmark between markers

    <!-- bench:NAME -->
    ...
    <!-- /bench:NAME -->

and a script replaces only its own section (`write_section`), so benchmarks run
at different times on the same machine keep each other's results. `--tiny`
runs never touch `benchmarks/RESULTS.md`: without `--out` they write into a
fresh temporary folder.

Usage in a benchmark script:

    parser = benchmark_parser("overhead", __doc__)
    args = parser.parse_args(argv)
    out = output_dir(args)
    ...
    write_section(out, "overhead", "Training overhead", body_markdown, tiny=args.tiny)
    write_json(out / "overhead.json", {...})
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCHMARKS_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCHMARKS_DIR.parent
RESULTS_NAME = "RESULTS.md"
# Generated and derived data live here, never in the repository.
CACHE = Path(os.environ.get("KMM_BENCH_CACHE", Path.home() / ".cache" / "keras_multimodal" / "benchmarks"))
_TITLE = "# Benchmark results\n\nWritten by the scripts in `benchmarks/` (see the README there); each section is replaced only by its own script.\n"

if str(REPO_ROOT) not in sys.path:  # scripts run as `python benchmarks/x.py` from anywhere
    sys.path.insert(0, str(REPO_ROOT))


def benchmark_parser(name, description):
    """An ArgumentParser with the options every benchmark takes."""
    parser = argparse.ArgumentParser(prog=f"benchmarks/{name}.py", description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="tiny sizes (seconds): the CI smoke run; never writes benchmarks/RESULTS.md unless --out says so")
    parser.add_argument("--out", default=None, help=f"folder for {RESULTS_NAME} and the JSON results (default: benchmarks/, or a temporary folder with --tiny)")
    return parser


def output_dir(args):
    """Where results go: --out, else benchmarks/ (full runs) or a fresh temporary folder (--tiny)."""
    if args.out:
        out = Path(args.out)
    elif args.tiny:
        out = Path(tempfile.mkdtemp(prefix="kmm-bench-"))
    else:
        out = BENCHMARKS_DIR
    out.mkdir(parents=True, exist_ok=True)
    return out


def _run(command):
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count()


def _memory_gib():
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _gpus():
    out = _run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"])
    return [line.strip() for line in out.splitlines() if line.strip()]


def _version(module):
    try:
        from importlib import metadata

        return metadata.version(module)
    except Exception:  # not installed
        return None


def machine_info():
    """What the numbers were measured on: CPU, cores, memory, GPU, load, package versions, date."""
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    packages = ["keras-multimodal", "keras", "tensorflow", "jax", "keras-hub", "numpy", "scikit-learn", "pandas"]
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": _usable_cores(),
        "memory_gib": _memory_gib(),
        "gpus": _gpus(),
        "load_average": load,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "keras_backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
        "versions": {name: _version(name) for name in packages if _version(name)},
    }


def machine_markdown(info):
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    gpu = "; ".join(info["gpus"]) or "none"
    return (
        f"Machine: {info['cpu']}, {info['cores']} usable cores, {info['memory_gib']} GiB RAM, GPU: {gpu}; "
        f"load average at start {info['load_average']}; Python {info['python']}, {versions}; {info['date']}."
    )


def markdown_table(headers, rows):
    """A GitHub markdown table; floats are shown with 3 significant decimals."""
    def cell(value):
        if isinstance(value, float):
            return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def print_table(title, headers, rows):
    print(f"\n{title}\n{markdown_table(headers, rows)}\n", flush=True)


def _markers(name):
    return f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"


def write_section(out, name, title, body, info=None, tiny=False, command=None):
    """Replace (or append) the section `name` of `out/RESULTS.md`; other sections stay as they are.

    Args:
        out: folder holding RESULTS.md.
        name: section key (`[a-z0-9_]+`), e.g. "overhead".
        title: the section's heading.
        body: markdown (tables, notes).
        info: `machine_info()` of the run (measured now when omitted).
        tiny: marks the section as a smoke run, not a measurement.
        command: how to reproduce (default: `python benchmarks/<name>.py`).
    """
    from keras_multimodal.atomic import write_text

    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"section name {name!r}: use lowercase letters, digits and _")
    info = info or machine_info()
    start, end = _markers(name)
    command = command or f"python benchmarks/{name}.py"
    note = "\n\n**Tiny smoke run (`--tiny`): sizes too small for the numbers to mean anything.**" if tiny else ""
    section = f"{start}\n## {title}\n\n`{command}`{note}\n\n{machine_markdown(info)}\n\n{body.strip()}\n{end}"
    path = Path(out) / RESULTS_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    # Benchmarks may finish at the same moment in separate processes: serialise read-modify-write.
    key = hashlib.md5(str(path.resolve()).encode()).hexdigest()[:12]
    with open(Path(tempfile.gettempdir()) / f"kmm-bench-{key}.lock", "w") as lock:
        _lock(lock)
        text = path.read_text(encoding="utf-8") if path.exists() else _TITLE
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
        if pattern.search(text):
            text = pattern.sub(lambda _: section, text, count=1)
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        write_text(path, text)
    return path


def _lock(handle):
    try:
        import fcntl

        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
    except ImportError:  # not on POSIX: best effort
        pass


def read_section(out, name):
    """The body of section `name` in `out/RESULTS.md` (None when absent)."""
    path = Path(out) / RESULTS_NAME
    if not path.exists():
        return None
    start, end = _markers(name)
    match = re.search(re.escape(start) + r"(.*?)" + re.escape(end), path.read_text(encoding="utf-8"), re.DOTALL)
    return match.group(1) if match else None


def write_json(path, data):
    from keras_multimodal.atomic import write_json as atomic_write_json

    return atomic_write_json(path, data)


def median(values):
    return float(statistics.median(values))


class Timer:
    """`with Timer() as t: ...; t.seconds`."""

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def demo_data_dir(args, out, rows):
    """--data, else a folder in the output (tiny runs) or in the cache (full runs)."""
    if getattr(args, "data", None):
        return Path(args.data)
    return out / "demo_data" if args.tiny else CACHE / f"demo_{rows}"


def demo_spec(root, rows, **updates):
    """The embedded demo spec on `rows` synthetic rows generated into `root`."""
    import keras_multimodal as kmm

    settings = {"data__root": str(root), "data__generate__rows": rows}
    settings.update(updates)
    return kmm.load_spec(None, **settings)


def dumps(data):
    return json.dumps(data, indent=2, default=str)


def epoch_timer():
    """A Keras callback whose `times` lists each epoch's wall seconds.

    Built on call, not at import: Keras must not load before a benchmark has set its backend.
    """
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.start)

    return EpochTimer()
