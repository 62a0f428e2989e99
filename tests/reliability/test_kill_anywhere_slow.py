"""kill -9 at random moments of `kmm train` and during `kmm compare`; the same command then completes.

Slow (run with --runslow). The train test prints one line per trial: the kill delay,
the stage the kill hit, and the time the re-run took.
"""

import json
import os
import signal
import subprocess
import time
import zipfile

import numpy as np
import pandas as pd
import pytest
from reliability_helpers import kmm_process

from keras_multimodal.atomic import TEMP_PREFIX

TINY = [
    "--set", "data.generate.rows=240", "--set", "training.patience=0", "--set", "inputs.xray.size=[32, 32]",
    "--set", "model.hidden_units=16", "--set", "training.batch_size=32",
]
TRIALS, SEED = 5, 6


def stage(out):
    """What the killed attempt had finished, from the files it left."""
    state = json.loads((out / "run.json").read_text()) if (out / "run.json").exists() else None
    if state is None:
        return "before run.json (data prep)"
    if state["status"] == "finished":
        return "finished before the kill"
    done = [name for name in ("serving", "report.md", "baselines", "metrics.json", "model.keras") if (out / name).exists()]
    if not done:
        epochs = len(pd.read_csv(out / "history.csv")) if (out / "history.csv").exists() else 0
        return f"training ({epochs} epochs done)"
    return f"after {done[0]}" if done[0] != "baselines" else f"baselines ({len(list((out / 'baselines').glob('*/model.keras')))} done)"


def check_no_truncated_model(out):
    for path in out.rglob("*.keras"):
        if not path.name.startswith(TEMP_PREFIX):  # temporaries may exist until the next attempt
            with zipfile.ZipFile(path) as archive:
                assert archive.testzip() is None, path


def check_complete(out, epochs):
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "finished"
    assert pd.read_csv(out / "history.csv")["epoch"].tolist() == list(range(epochs))
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"]["auroc"] is not None and set(metrics["baselines"]) == {"image only (xray)", "text only (note)", "tabular only (labs)"}
    for name in ("report.md", "report.html", "predictions.csv", "serving/saved_model.pb", "plots/roc.png"):
        assert (out / name).is_file(), name
    check_no_truncated_model(out)
    assert not list(out.rglob(f"{TEMP_PREFIX}*")) and not list(out.glob(".serving.*"))
    return info


@pytest.mark.slow
def test_kill_train_at_five_random_moments_then_rerun(tmp_path):
    epochs = 3
    data = tmp_path / "data"

    def command(out):
        return kmm_process("train", "--out", out, "--quiet", "--epochs", epochs, "--set", f"data.root={data}", *TINY)

    start = time.time()
    reference = subprocess.run(command(tmp_path / "reference"), capture_output=True, text=True, timeout=900)
    total = time.time() - start
    assert reference.returncode == 0, reference.stderr[-3000:]
    expected = json.loads((tmp_path / "reference" / "metrics.json").read_text())
    print(f"\nuninterrupted kmm train: {total:.1f} s")
    rng = np.random.default_rng(SEED)
    for trial in range(TRIALS):
        out = tmp_path / f"trial{trial}"
        delay = total * (trial + rng.uniform()) / TRIALS  # one kill in each fifth of the command
        process = subprocess.Popen(command(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        hit = stage(out) if out.exists() else "before the run folder existed"
        if out.exists():
            check_no_truncated_model(out)
        start = time.time()
        done = subprocess.run(command(out), capture_output=True, text=True, timeout=900)
        rerun = time.time() - start
        # Also after a kill that landed once the run had finished: the same command is then a no-op.
        assert done.returncode == 0, f"trial {trial} ({hit}): {done.stderr[-3000:]}"
        assert done.stdout.strip().splitlines()[-1] == str(out)
        info = check_complete(out, epochs)
        same = json.loads((out / "metrics.json").read_text())["test"]["n"] == expected["test"]["n"]
        print(f"trial {trial}: kill at {delay:.1f} s ({hit}); re-run {rerun:.1f} s, exit {done.returncode}, attempts {info['attempts']}, same test rows {same}")


@pytest.mark.slow
def test_kill_compare_then_rerun_keeps_finished_members(tmp_path):
    out = tmp_path / "compare"
    command = kmm_process(
        "compare", "--out", out, "--quiet", "--fusions", "concat,late", "--epochs", "2",
        "--set", f"data.root={tmp_path / 'data'}", *TINY,
    )
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    second = out / "fused-late"
    try:
        deadline = time.time() + 900
        while time.time() < deadline and process.poll() is None and not (second / "history.csv").exists():
            time.sleep(0.1)
        assert process.poll() is None, "compare ended before the second member trained"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    first = json.loads((out / "fused-concat" / "run.json").read_text())
    assert first["status"] == "finished" and json.loads((second / "run.json").read_text())["status"] == "running"
    first_model = (out / "fused-concat" / "model.keras").stat().st_mtime_ns
    assert not (out / "comparison.csv").exists()
    done = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (out / "fused-concat" / "model.keras").stat().st_mtime_ns == first_model  # not retrained
    assert json.loads((out / "fused-concat" / "run.json").read_text())["attempts"] == 1
    assert json.loads((second / "run.json").read_text())["attempts"] == 2
    table = pd.read_csv(out / "comparison.csv")
    assert len(table) == 5 and (out / "comparison.md").is_file() and (out / "comparison.png").is_file()
