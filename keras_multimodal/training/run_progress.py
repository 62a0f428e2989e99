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
    """

    def __init__(self, directory, monitor="val_loss", early_stopping=None):
        super().__init__()
        self.directory = Path(directory)
        self.monitor = monitor
        self.early_stopping = early_stopping
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

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch, **{k: float(v) for k, v in (logs or {}).items()}}
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
