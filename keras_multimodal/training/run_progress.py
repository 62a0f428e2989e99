"""A callback that makes training resumable beyond what `BackupAndRestore` keeps."""

from pathlib import Path

import keras
import numpy as np
import pandas as pd

from keras_multimodal.atomic import save_weights
from keras_multimodal.atomic import write_csv


class RunProgress(keras.callbacks.Callback):
    """Writes `history.csv` and the best weights each epoch; restores both on resume.

    `BackupAndRestore` restores weights and the epoch counter only. On the
    first epoch after a resume this callback truncates `history.csv` to the
    finished epochs, rebuilds the early-stopping state (best value, epochs
    without improvement) from it, and keeps tracking the best weights so the
    final model is the best over all attempts. Put it *before*
    `BackupAndRestore` in the callback list so an epoch's row is on disk
    before the backup says the epoch finished.

    Args:
        directory: str. Where `history.csv` and `best.weights.h5` go.
        monitor: str. The logged value to minimise. Defaults to `"val_loss"`.
        early_stopping: `keras.callbacks.EarlyStopping` or None, whose state is restored.
        reduce_lr: `keras.callbacks.ReduceLROnPlateau` or None, whose state is
            restored (the learning rate itself is in the optimizer's saved variables).
    """

    def __init__(self, directory, monitor="val_loss", early_stopping=None, reduce_lr=None):
        super().__init__()
        self.directory = Path(directory)
        self.monitor = monitor
        self.early_stopping = early_stopping
        self.reduce_lr = reduce_lr
        self.history_path = self.directory / "history.csv"
        self.best_path = self.directory / "best.weights.h5"
        self.rows = []
        self.best = np.inf
        self._restored = False

    def on_epoch_begin(self, epoch, logs=None):
        if self._restored:
            return
        self._restored = True
        self.rows = self._previous_rows(epoch)
        for row in self.rows:
            self._track_best(row["epoch"], row.get(self.monitor), save=False)
        if self.early_stopping is not None and self.rows:
            self._restore_early_stopping()
        if self.reduce_lr is not None and self.rows:
            self._restore_reduce_lr()

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch, **{k: float(v) for k, v in (logs or {}).items()}}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and "learning_rate" not in row:
            row["learning_rate"] = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        self.rows = [r for r in self.rows if r["epoch"] < epoch] + [row]
        self._track_best(epoch, row.get(self.monitor), save=True)
        write_csv(self.history_path, pd.DataFrame(self.rows))

    def on_train_end(self, logs=None):
        if self.best_path.exists():
            self.model.load_weights(self.best_path)

    def _previous_rows(self, first_epoch):
        if first_epoch == 0 or not self.history_path.exists():
            return []
        frame = pd.read_csv(self.history_path)
        frame = frame[frame["epoch"] < first_epoch]
        return frame.to_dict("records")

    def _track_best(self, epoch, value, save):
        if value is None or not np.isfinite(value) or value >= self.best:
            return
        self.best = float(value)
        if save:
            save_weights(self.model, self.best_path)

    def _restore_early_stopping(self):
        values = [r.get(self.monitor, np.inf) for r in self.rows]
        best_index = int(np.argmin(values))
        stopper = self.early_stopping
        stopper.best = float(values[best_index])
        stopper.best_epoch = int(self.rows[best_index]["epoch"])
        stopper.wait = len(values) - 1 - best_index
        if stopper.wait >= stopper.patience:
            self.model.stop_training = True

    def _restore_reduce_lr(self):
        # The rate logged in row i is the rate used in epoch i, so a change
        # between rows i-1 and i means the callback cut it at the end of epoch i-1.
        values = [r.get(self.monitor, np.inf) for r in self.rows]
        rates = [r.get("learning_rate") for r in self.rows]
        last = len(values) - 1
        cut = max((i - 1 for i in range(1, len(rates)) if rates[i] != rates[i - 1]), default=None)
        best_index = int(np.argmin(values))
        reducer = self.reduce_lr
        reducer.best = float(values[best_index])
        reducer.cooldown_counter = 0 if cut is None else max(0, reducer.cooldown - (last - cut))
        since = best_index if cut is None else max(best_index, cut + reducer.cooldown)
        reducer.wait = 0 if reducer.cooldown_counter else max(0, last - since)
