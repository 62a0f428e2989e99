"""An interrupted run resumes from the last finished epoch, history without duplicates."""

import json

import pandas as pd
import pytest

import keras_multimodal as kmm
from keras_multimodal.training.run_progress import RunProgress


@pytest.mark.parametrize("distributed", [False, True], ids=["one-device", "distributed"])
def test_interrupted_training_resumes_from_last_epoch(tmp_path, make_demo_spec, monkeypatch, distributed):
    import keras

    # The backup is written and restored inside the strategy's (or the mesh's) scope too.
    distribution = {"tensorflow": "mirrored", "jax": "data_parallel"}[keras.backend.backend()] if distributed else "none"
    spec = make_demo_spec(training__epochs=4, training__baselines=False, training__distribution=distribution)
    out = tmp_path / "run"
    original = RunProgress.on_epoch_end

    def crash_after_epoch_one(self, epoch, logs=None):
        original(self, epoch, logs)
        if epoch == 1:  # history row written, backup for this epoch not yet saved
            raise KeyboardInterrupt

    monkeypatch.setattr(RunProgress, "on_epoch_end", crash_after_epoch_one)
    with pytest.raises(KeyboardInterrupt):
        kmm.train(spec, out=out, verbose=0)
    assert json.loads((out / "run.json").read_text())["status"] == "running"
    assert pd.read_csv(out / "history.csv")["epoch"].tolist() == [0, 1]
    assert not (out / "model.keras").exists()

    monkeypatch.setattr(RunProgress, "on_epoch_end", original)
    run = kmm.train(spec, out=out, verbose=0)
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "finished" and info["attempts"] == 2
    assert pd.read_csv(out / "history.csv")["epoch"].tolist() == [0, 1, 2, 3]
    assert (run.path / "model.keras").is_file()


def test_early_stopping_state_is_rebuilt_from_history(tmp_path):
    import keras

    out = tmp_path / "run"
    out.mkdir()
    # A previous attempt: best val_loss at epoch 0, epoch 1 did not improve.
    frame = pd.DataFrame({"epoch": [0, 1, 2], "loss": [0.5, 0.4, 0.3], "val_loss": [0.1, 0.9, 0.8]})
    frame.to_csv(out / "history.csv", index=False)
    progress = RunProgress(out, early_stopping=keras.callbacks.EarlyStopping(patience=1))
    progress.set_model(_FakeModel())
    progress.on_epoch_begin(2)  # the backup said two epochs finished: row 2 is dropped
    assert [row["epoch"] for row in progress.rows] == [0, 1]
    assert progress.early_stopping.best == pytest.approx(0.1)
    assert progress.early_stopping.best_epoch == 0
    assert progress.early_stopping.wait == 1
    assert progress.model.stop_training is True
    assert progress.best == pytest.approx(0.1)


class _FakeModel:
    stop_training = False


def test_reduce_lr_state_is_rebuilt_from_history(tmp_path):
    import keras

    out = tmp_path / "run"
    out.mkdir()
    # Best at epoch 1; the rate was cut after epoch 2 (row 3 shows the new rate).
    frame = pd.DataFrame({
        "epoch": [0, 1, 2, 3, 4],
        "val_loss": [0.5, 0.2, 0.3, 0.4, 0.35],
        "learning_rate": [0.01, 0.01, 0.01, 0.005, 0.005],
    })
    frame.to_csv(out / "history.csv", index=False)
    reducer = keras.callbacks.ReduceLROnPlateau(patience=3, cooldown=5)
    progress = RunProgress(out, reduce_lr=reducer)
    progress.set_model(_FakeModel())
    progress.on_epoch_begin(5)
    assert reducer.best == pytest.approx(0.2)
    assert reducer.cooldown_counter == 3  # cut after epoch 2, epochs 3 and 4 spent in cooldown
    assert reducer.wait == 0
    reducer.cooldown = 0
    progress = RunProgress(out, reduce_lr=reducer)
    progress.set_model(_FakeModel())
    progress.on_epoch_begin(5)
    assert reducer.cooldown_counter == 0
    assert reducer.wait == 2  # epochs 3 and 4 without improvement since the cut


def test_reduce_lr_and_tensorboard_from_the_spec(tmp_path, make_demo_spec):
    spec = make_demo_spec(training__epochs=2, training__baselines=False, training__reduce_lr={"factor": 0.1, "patience": 0}, training__tensorboard=True)
    run = kmm.train(spec, out=tmp_path / "run", verbose=0)
    history = pd.read_csv(run.path / "history.csv")
    rates = history["learning_rate"].to_numpy()
    assert rates[0] == pytest.approx(spec.training.learning_rate)
    assert all(b in (pytest.approx(a), pytest.approx(a * 0.1)) for a, b in zip(rates, rates[1:]))
    assert any((run.path / "tensorboard").rglob("*tfevents*"))
