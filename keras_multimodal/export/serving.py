"""A TensorFlow SavedModel whose `serving_default` takes raw inputs, preprocessing inside."""

import re
import shutil
import tempfile
from pathlib import Path

import tensorflow as tf

from keras_multimodal.data.feature_transform import FeatureTransform
from keras_multimodal.errors import SpecError
from keras_multimodal.specs.fields import normalize_value

_INVALID = re.compile(r"[^A-Za-z0-9_.\-/]")


def serving_name(column):
    """Column name -> a valid signature input name (spaces and symbols become '_')."""
    name = _INVALID.sub("_", str(column))
    return name if re.match(r"[A-Za-z0-9.]", name) else f"c{name}"


def raw_signature(spec):
    """{serving name: (kind, column)}; images are encoded bytes, numerics float32 (NaN = missing).

    Two columns whose names sanitise to the same input name, or one column
    used as two kinds (numeric here, categorical there), cannot share one
    signature input: that is a spec error.
    """
    out = {}
    for spec_input in spec.inputs.values():
        if spec_input.type == "tabular":
            entries = [("numeric", c) for c in spec_input.numeric] + [("categorical", c) for c in spec_input.categorical]
        else:
            entries = [(spec_input.type, spec_input.column)]
        for kind, column in entries:
            name = serving_name(column)
            if name in out and out[name] != (kind, column):
                other_kind, other = out[name]
                raise SpecError(
                    f"inputs.{spec_input.name}",
                    f"column {column!r} ({kind}) and column {other!r} ({other_kind}) would both be the serving input "
                    f"{name!r}; rename one of them",
                )
            out[name] = (kind, column)
    return out


class ServingModule(tf.Module):
    """Raw columns -> `FeatureTransform.serve` -> Keras model -> probabilities and label.

    String cells are cleaned as reading the spec's table cleans them
    (surrounding blanks stripped, `data.na_values` read as missing), so a
    client can send the cells of a row exactly as they are in the table.
    """

    def __init__(self, model, preprocessor, spec, threshold=None):
        super().__init__()
        self.model = model
        # Keras variables (seed generator states included) are not tracked
        # through the Keras model by tf.Module: list them so the SavedModel owns them.
        self.model_variables = list(model.variables)
        self.transform = FeatureTransform(preprocessor)
        self.spec_inputs = {name: s for name, s in spec.inputs.items()}
        self.task = spec.target.task
        self.classes = list(preprocessor["__target__"]["classes"])
        self.threshold = 0.5 if threshold is None else float(threshold)
        self.signature = raw_signature(spec)
        self.missing_strings = sorted({""} | {normalize_value(v) for v in spec.data.na_values})

    def clean_strings(self, values):
        values = tf.strings.strip(values)
        missing = tf.reduce_any(tf.equal(values[:, None], tf.constant(self.missing_strings)[None, :]), axis=1)
        return tf.where(missing, tf.constant(""), values)

    def raw_batch(self, columns):
        batch = {}
        for name, spec_input in self.spec_inputs.items():
            if spec_input.type == "image":
                batch[name] = columns[serving_name(spec_input.column)]
            elif spec_input.type == "text":
                batch[name] = self.clean_strings(columns[serving_name(spec_input.column)])
            else:
                batch.update(self.tabular_batch(name, spec_input, columns))
        return batch

    def tabular_batch(self, name, spec_input, columns):
        batch = {}
        if spec_input.numeric:
            values = [tf.cast(columns[serving_name(c)], tf.float32) for c in spec_input.numeric]
            batch[f"{name}_numeric"] = tf.stack(values, axis=1)
        if spec_input.categorical:
            values = [self.clean_strings(columns[serving_name(c)]) for c in spec_input.categorical]
            batch[f"{name}_categorical"] = tf.stack(values, axis=1)
        return batch

    def outputs(self, columns):
        inputs = self.transform.serve(self.raw_batch(columns))
        scores = tf.cast(self.model(inputs, training=False), tf.float32)
        if self.task == "regression":
            return {"prediction": tf.reshape(scores, [-1])}
        classes = tf.constant(self.classes)
        if self.task == "binary":
            score = tf.reshape(scores, [-1])
            index = tf.cast(score >= self.threshold, tf.int32)
            return {"probabilities": tf.stack([1.0 - score, score], axis=1), "score": score, "label": tf.gather(classes, index)}
        if self.task == "multiclass":
            return {"probabilities": scores, "label": tf.gather(classes, tf.argmax(scores, axis=1))}
        return {"probabilities": scores, "labels": tf.cast(scores >= 0.5, tf.int32)}

    def signature_function(self):
        specs = {}
        for name, (kind, _) in self.signature.items():
            dtype = tf.float32 if kind == "numeric" else tf.string
            specs[name] = tf.TensorSpec([None], dtype, name=name)
        return tf.function(self.outputs, input_signature=[specs]).get_concrete_function()


def export_serving(model, preprocessor, spec, path, threshold=None):
    """Write the SavedModel to `path` atomically (a sibling temp folder, then rename).

    The serving graph is TensorFlow; a model trained on another Keras backend
    is exported by a TensorFlow-backend subprocess from its saved weights.
    """
    import keras

    path = Path(path)
    if keras.backend.backend() != "tensorflow":
        from keras_multimodal.export.tensorflow_subprocess import export_model_in_tensorflow

        return export_model_in_tensorflow(model, preprocessor, spec, path, threshold, "savedmodel")
    module = ServingModule(model, preprocessor, spec, threshold)
    function = module.signature_function()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        tf.saved_model.save(module, str(tmp), signatures={"serving_default": function})
        tmp.chmod(0o755)  # mkdtemp makes it owner-only; a model server may run as another user
        if path.exists():
            shutil.rmtree(path)
        tmp.rename(path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return path
