"""Acceptance runs of `kmm tune`: kill -9 then resume; chief + two workers on localhost; the full demo."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pandas as pd
import pytest
from search_fixtures import trial_files

TINY = [
    "--set", "data.generate.rows=240", "--set", "training.epochs=1", "--set", "training.baselines=false",
    "--set", "tuning.patience=0", "--set", "tuning.fusion=[concat, late]", "--set", "tuning.hidden_units=[8, 16, 32]",
]


def kmm_tune(data_root, out, *extra):
    return [sys.executable, "-m", "keras_multimodal.cli", "tune", "--out", str(out), "--quiet", "--set", f"data.root={data_root}", *TINY, *extra]


def completed(out):
    return {name for name, (_, saved) in trial_files(out).items() if saved["status"] == "COMPLETED"}


def wait_until(condition, processes, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        if any(p.poll() is not None for p in processes):
            return condition()
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_kill_during_tune_then_rerun_keeps_finished_trials(tmp_path):
    out = tmp_path / "tune"
    command = kmm_tune(tmp_path / "data", out, "--max-trials", "3", "--set", "tuning.epochs=4")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: len(completed(out)) >= 1, [process], 400), "no trial finished"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    finished = {name: entry for name, entry in trial_files(out).items() if entry[1]["status"] == "COMPLETED"}
    assert finished and len(finished) < 3, f"killed too late: {sorted(finished)}"
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    after = trial_files(out)
    for name, entry in finished.items():
        assert after[name] == entry, f"{name} was re-run"
    assert completed(out) == {"trial_0", "trial_1", "trial_2"}
    table = pd.read_csv(out / "tuning.csv")
    assert len(table) == 3 and set(table["status"]) == {"COMPLETED"}
    assert json.loads((out / "best" / "run.json").read_text())["status"] == "finished"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_chief_and_two_workers_on_localhost(tmp_path, make_demo_spec):
    from keras_multimodal.data.table import load_table

    data_root = tmp_path / "data"
    load_table(make_demo_spec(data__root=str(data_root)))  # generate the data once, before three processes read it
    out = tmp_path / "tune"
    command = kmm_tune(data_root, out, "--max-trials", "3", "--set", "tuning.epochs=1")
    port = str(free_port())
    processes, logs = {}, {}
    try:
        for role in ("chief", "tuner0", "tuner1"):
            env = dict(os.environ, KERASTUNER_TUNER_ID=role, KERASTUNER_ORACLE_IP="127.0.0.1", KERASTUNER_ORACLE_PORT=port)
            logs[role] = open(tmp_path / f"{role}.log", "w")
            processes[role] = subprocess.Popen(command, env=env, stdout=logs[role], stderr=subprocess.STDOUT)
            if role == "chief":
                time.sleep(5)  # let the chief's oracle server start listening
        deadline = time.time() + 540
        for role, process in processes.items():
            process.wait(timeout=max(1, deadline - time.time()))
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
        for handle in logs.values():
            handle.close()
    text = {role: (tmp_path / f"{role}.log").read_text() for role in processes}
    for role, process in processes.items():
        assert process.returncode == 0, f"{role}: {text[role][-3000:]}"
    fitted = [int(re.search(rf"Worker {role} finished its trials \((\d+) models fitted\)", text[role]).group(1)) for role in ("tuner0", "tuner1")]
    print(f"models fitted by the workers: {fitted}")
    assert sum(fitted) == 3  # the chief only serves the oracle; each trial ran once, on some worker
    table = pd.read_csv(out / "tuning.csv")
    assert len(table) == 3 and set(table["status"]) == {"COMPLETED"}
    assert json.loads((out / "best" / "run.json").read_text())["status"] == "finished"


@pytest.mark.slow
def test_full_demo_tune_three_trials(tmp_path):
    """The acceptance bound: `kmm tune data_specs/demo.yaml --max-trials 3` within 10 minutes (2 cores)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, KMM_DEMO_DATA=str(tmp_path / "data"))
    command = [sys.executable, "-m", "keras_multimodal.cli", "tune", os.path.join(root, "data_specs", "demo.yaml"), "--max-trials", "3", "--out", str(tmp_path / "tune"), "--quiet"]
    start = time.time()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    elapsed = time.time() - start
    print(f"kmm tune demo --max-trials 3: {elapsed:.0f} s")
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(pd.read_csv(tmp_path / "tune" / "tuning.csv")) == 3
    assert elapsed < 600
