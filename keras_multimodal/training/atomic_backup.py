"""`AtomicBackupAndRestore`: Keras' `BackupAndRestore` with a backup that survives kill -9."""

import json
import shutil
import warnings
from pathlib import Path

import keras

from keras_multimodal.atomic import save_weights
from keras_multimodal.atomic import write_text


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """Backs up weights, optimizer state and the epoch counter after every epoch, atomically.

    Keras writes `latest.weights.h5` and `training_metadata.json` in place, so a
    kill during a write leaves a truncated file that the next attempt cannot
    load (`double_checkpoint` has no earlier copy to fall back on during the
    first epoch, and a truncated metadata file is not caught at all). Here each
    file is written under a temporary name and renamed, weights first, so the
    epoch counter never runs ahead of the weights. A backup that still cannot
    be read (one left by an older version, say) is discarded with a warning and
    training starts from the first epoch instead of failing.

    Args:
        backup_dir: str. The folder of the backup; deleted after a finished fit.
    """

    def __init__(self, backup_dir):
        super().__init__(backup_dir, save_freq="epoch", delete_checkpoint=True, double_checkpoint=False)

    def _save_model(self):
        save_weights(self.model, self._weights_path)
        metadata = {"epoch": self._current_epoch, "batch": self._last_batch_seen}
        write_text(self._training_metadata_path, json.dumps(metadata))

    def on_train_begin(self, logs=None):
        problem = self._unreadable()
        if problem:
            warnings.warn(f"discarding the unreadable training backup in {self.backup_dir} ({problem}); training restarts from the first epoch")
            shutil.rmtree(self.backup_dir, ignore_errors=True)
        super().on_train_begin(logs)

    def _unreadable(self):
        weights, metadata = Path(self._weights_path), Path(self._training_metadata_path)
        try:
            if metadata.exists():
                int(json.loads(metadata.read_text())["epoch"])
            if weights.exists():
                import h5py

                with h5py.File(weights, "r"):
                    pass
        except (OSError, ValueError, KeyError, TypeError) as error:
            return f"{type(error).__name__}: {error}"
        return None
