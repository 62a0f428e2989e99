"""kill -9 during `kmm train`, then the same command: it resumes and finishes."""

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest


def kmm_command(spec_root, out, epochs=6):
    return [
        sys.executable, "-m", "keras_multimodal.cli", "train", "--out", str(out), "--quiet",
        "--epochs", str(epochs),
        "--set", f"data.root={spec_root}", "--set", "data.generate.rows=400",
        "--set", "training.baselines=false", "--set", "training.patience=0",
    ]


def wait_for_epochs(history, count, process, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            return False
        if history.exists() and len(pd.read_csv(history)) >= count:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_kill_during_epoch_three_then_resume(tmp_path):
    out = tmp_path / "run"
    command = kmm_command(tmp_path / "data", out)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for_epochs(out / "history.csv", 3, process), "training ended before epoch 3"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    assert json.loads((out / "run.json").read_text())["status"] == "running"
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == str(out)
    assert pd.read_csv(out / "history.csv")["epoch"].tolist() == [0, 1, 2, 3, 4, 5]
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "finished" and info["attempts"] == 2
