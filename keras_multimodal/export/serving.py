"""A TensorFlow SavedModel whose `serving_default` takes raw inputs, preprocessing inside."""

import re
import shutil
import tempfile
from pathlib import Path

import tensorflow as tf

from keras_multimodal.data.feature_transform import FeatureTransform

_INVALID = re.compile(r"[^A-Za-z0-9_.\-/]")


def serving_name(column):
    """Column name -> a valid signature input name (spaces and symbols become '_')."""
    name = _INVALID.sub("_", str(column))
    return name if re.match(r"[A-Za-z0-9.]", name) else f"c{name}"


def raw_signature(spec):
    """{serving name: (kind, column)}; images are encoded bytes, numerics float32 (NaN = missing)."""
    out = {}
    for spec_input in spec.inputs.values():
        if spec_input.type == "tabular":
            for column in spec_input.numeric:
                out[serving_name(column)] = ("numeric", column)
            for column in spec_input.categorical:
                out[serving_name(column)] = ("categorical", column)
        else:
            out[serving_name(spec_input.column)] = (spec_input.type, spec_input.column)
    return out


class ServingModule(tf.Module):
    """Raw columns -> `FeatureTransform.serve` -> Keras model -> probabilities and label."""

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

    def raw_batch(self, columns):
        batch = {}
        for name, spec_input in self.spec_inputs.items():
            if spec_input.type in ("image", "text"):
                batch[name] = columns[serving_name(spec_input.column)]
                continue
            if spec_input.numeric:
                values = [tf.cast(columns[serving_name(c)], tf.float32) for c in spec_input.numeric]
                batch[f"{name}_numeric"] = tf.stack(values, axis=1)
            if spec_input.categorical:
                values = [columns[serving_name(c)] for c in spec_input.categorical]
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
    """Write the SavedModel to `path` atomically (a sibling temp folder, then rename)."""
    path = Path(path)
    module = ServingModule(model, preprocessor, spec, threshold)
    function = module.signature_function()
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        tf.saved_model.save(module, str(tmp), signatures={"serving_default": function})
        if path.exists():
            shutil.rmtree(path)
        tmp.rename(path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return path
