"""Atomic run-directory writes, clean-up after a kill, and resume refused when the data changed."""

import json

import pytest

from keras_multimodal import atomic
from keras_multimodal.errors import RunError


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = atomic.write_json(tmp_path / "metrics.json", {"auroc": 0.7})

    def half_then_crash(tmp):
        with open(tmp, "w") as handle:
            handle.write('{"auroc": 0.')
        raise KeyboardInterrupt  # what a kill looks like from inside the process

    with pytest.raises(KeyboardInterrupt):
        atomic._replace_with(path, half_then_crash)
    assert json.loads(path.read_text()) == {"auroc": 0.7}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_figures_are_written_atomically(tmp_path):
    from keras_multimodal.evaluation import plots

    path = plots.plot_training_curves(
        __import__("pandas").DataFrame({"epoch": [0, 1], "loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}),
        tmp_path / "plots" / "training_curves.png",
    )
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in (tmp_path / "plots").iterdir()] == ["training_curves.png"]


def test_resume_removes_what_a_kill_left_half_written(tri_modal, tmp_path):
    from keras_multimodal.training import run_directory

    spec = tri_modal.spec()
    run_dir = tmp_path / "run"
    run_directory.start_run(run_dir, spec, "hash", "kmm train", resuming=False)
    leftovers = [
        run_dir / f"{atomic.TEMP_PREFIX}model.x1.keras",
        run_dir / "plots" / f"{atomic.TEMP_PREFIX}roc.x2.png",
        run_dir / "baselines" / "xray" / f"{atomic.TEMP_PREFIX}history.x3.csv",
        run_dir / ".serving.x4" / "saved_model.pb",
    ]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    kept = run_dir / "plots" / "roc.png"
    kept.write_bytes(b"finished")
    assert run_directory.choose_run_dir(spec, run_dir) == (run_dir, True)
    state = run_directory.start_run(run_dir, spec, "hash", "kmm train", resuming=True)
    assert state["attempts"] == 2 and state["status"] == "running"
    assert not any(path.exists() for path in leftovers) and not (run_dir / ".serving.x4").exists()
    assert kept.read_bytes() == b"finished"


def test_a_changed_image_changes_the_data_hash_and_blocks_resume(tri_modal, tmp_path):
    from keras_multimodal.training import run_directory
    from keras_multimodal.training.data_setup import prepare_data

    raw = {"inputs": {"xray": tri_modal.raw()["inputs"]["xray"]}, "model": {}}
    spec = tri_modal.spec(**raw)
    before = prepare_data(spec).hash
    assert prepare_data(spec).hash == before
    tri_modal.png("img_005.png", color=3)  # same name and size, other pixels
    after = prepare_data(spec).hash
    assert after != before
    run_dir = tmp_path / "run"
    run_directory.start_run(run_dir, spec, before, "kmm train", resuming=False)
    with pytest.raises(RunError, match="the data changed since this run started"):
        run_directory.start_run(run_dir, spec, after, "kmm train", resuming=True)


def test_a_kill_before_run_json_does_not_block_the_same_command(tri_modal, tmp_path):
    from keras_multimodal.training import run_directory

    spec = tri_modal.spec()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "preprocessing.json").write_text("{}")  # written just before run.json
    (run_dir / f"{atomic.TEMP_PREFIX}spec.x1.yaml").write_text("half")
    assert run_directory.choose_run_dir(spec, run_dir) == (run_dir, False)
    (run_dir / "notes.txt").write_text("someone else's file")
    with pytest.raises(RunError, match="is not a run directory"):
        run_directory.choose_run_dir(spec, run_dir)


def tiny_fit(backup_dir, epochs, crash_after=None):
    """Fit a one-layer model with the backup callback; return the epochs run in this call."""
    import keras
    import numpy as np

    from keras_multimodal.training.atomic_backup import AtomicBackupAndRestore

    class Crash(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == crash_after:
                raise KeyboardInterrupt

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x, y = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")
    history = model.fit(x, y, epochs=epochs, verbose=0, callbacks=[AtomicBackupAndRestore(str(backup_dir)), Crash()])
    return history.epoch


def test_training_backup_resumes_after_a_crash(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        tiny_fit(tmp_path / "backup", epochs=3, crash_after=0)
    assert json.loads((tmp_path / "backup" / "training_metadata.json").read_text())["epoch"] == 1
    assert tiny_fit(tmp_path / "backup", epochs=3) == [1, 2]
    assert not (tmp_path / "backup").exists()


@pytest.mark.parametrize("broken", ["latest.weights.h5", "training_metadata.json"])
def test_a_truncated_training_backup_restarts_instead_of_failing(tmp_path, broken):
    with pytest.raises(KeyboardInterrupt):
        tiny_fit(tmp_path / "backup", epochs=3, crash_after=0)
    path = tmp_path / "backup" / broken
    path.write_bytes(path.read_bytes()[:10])  # what Keras' in-place write leaves after a kill
    with pytest.warns(UserWarning, match="discarding the unreadable training backup"):
        assert tiny_fit(tmp_path / "backup", epochs=3) == [0, 1, 2]
