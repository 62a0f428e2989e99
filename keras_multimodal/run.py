"""`Run`: a finished run directory, loaded for prediction and evaluation."""

import json
from pathlib import Path

import yaml

from keras_multimodal.errors import RunError
from keras_multimodal.specs.spec import Spec


class Run:
    """A run directory: its spec, fitted preprocessing, model and metrics.

    Example:
    ```python
    run = keras_multimodal.Run.load("runs/demo")
    scores = run.predict(new_rows)      # a pandas DataFrame in the spec's table format
    ```
    """

    def __init__(self, path):
        self.path = Path(path)
        if not (self.path / "spec.yaml").is_file():
            raise RunError(f"{self.path} is not a run directory (no spec.yaml)")
        raw = yaml.safe_load((self.path / "spec.yaml").read_text())
        self.spec = Spec.from_dict(raw, spec_dir=self.path, source=str(self.path / "spec.yaml"))
        self._model = None
        self._preprocessor = None

    @classmethod
    def load(cls, path):
        return cls(path)

    def with_data_root(self, data_root):
        """The same run reading new tables' images relative to `data_root`."""
        other = Run(self.path)
        other.spec = Spec.from_dict(self.spec.raw, spec_dir=self.path, data_root=data_root, source=self.spec.source)
        other._model, other._preprocessor = self._model, self._preprocessor
        return other

    @property
    def info(self):
        return json.loads((self.path / "run.json").read_text())

    @property
    def metrics(self):
        return json.loads((self.path / "metrics.json").read_text())

    @property
    def preprocessor(self):
        if self._preprocessor is None:
            from keras_multimodal.data.preprocessor import Preprocessor

            self._preprocessor = Preprocessor.load(self.path / "preprocessing.json")
        return self._preprocessor

    @property
    def model(self):
        if self._model is None:
            import keras

            from keras_multimodal._keras_hook import register_components

            register_components()

            self._model = keras.saving.load_model(self.path / "model.keras", safe_mode=True)
        return self._model

    @property
    def classes(self):
        return list(self.preprocessor["__target__"]["classes"])

    def _table(self, frame, with_target):
        from keras_multimodal.data.table import load_table

        return load_table(self.spec, frame=frame, with_target=with_target, preprocessor=self.preprocessor)

    def predict(self, frame):
        """Scores and predicted labels for rows of a table in the spec's format (target optional).

        Columns: `row_id`, then `score` (binary: probability of the second
        class), `y_pred` (0/1 at the run's threshold) and `label` (its class
        name); `score_<class>` and `y_pred` (multiclass); `score_<label>` and
        `y_pred_<label>` (multilabel); `y_pred` (regression). The numbers equal
        the SavedModel's on the same raw cells.
        """
        from keras_multimodal.training.predictions import apply_threshold
        from keras_multimodal.training.predictions import predict_scores
        from keras_multimodal.training.predictions import predictions_frame

        data = self._table(frame, with_target=False)
        scores = predict_scores(self.model, data, self.preprocessor)
        out = predictions_frame(data, scores, self.spec.target.task, self.classes, with_truth=False)
        out = apply_threshold(out, self.spec.target.task, self.classes, self.metrics.get("threshold"))
        if self.spec.target.task == "binary":
            # The class name too, as the SavedModel's `label` output gives it.
            out["label"] = [self.classes[i] for i in out["y_pred"]]
        return out

    def export(self, format="savedmodel", out=None):
        """Write the model as a SavedModel with raw inputs, a `.keras` file or ONNX (see `kmm export`).

        Returns the folder written (default `serving/`, or `export/<format>/`, in the run).
        """
        from keras_multimodal.export.exporter import export_run

        return export_run(self.path, fmt=format, out=out)

    def evaluate(self, frame):
        """Metrics (with CIs) on labelled rows, at the run's validation-chosen threshold."""
        from keras_multimodal.evaluation.metrics import compute_metrics
        from keras_multimodal.training.predictions import predict_scores
        from keras_multimodal.training.predictions import predictions_frame

        data = self._table(frame, with_target=True)
        data.frame["split"] = "test"
        scores = predict_scores(self.model, data, self.preprocessor)
        table = predictions_frame(data, scores, self.spec.target.task, self.classes)
        threshold = self.metrics.get("threshold")
        metrics, _ = compute_metrics(
            table, self.spec.target.task, self.classes, seed=self.spec.training.seed, threshold=threshold
        )
        return dict(metrics["test"], threshold=threshold)

    def __repr__(self):
        return f"Run({str(self.path)!r})"

