"""The model's input tensors, named as `FeatureTransform.transform_batch` produces them."""

import keras


def model_inputs(spec, sizes):
    """dict of `keras.Input` per model feature, plus the encoder input per spec input."""
    inputs, encoder_inputs = {}, {}
    for name, spec_input in spec.inputs.items():
        entry = sizes[name]
        if spec_input.type == "image":
            height, width = entry["size"]
            inputs[name] = keras.Input((height, width, entry["channels"]), name=name)
            encoder_inputs[name] = inputs[name]
        elif spec_input.type == "text":
            inputs[name] = keras.Input((entry["sequence_length"],), dtype="int32", name=name)
            encoder_inputs[name] = inputs[name]
        else:
            encoder_inputs[name] = _tabular_inputs(name, entry, inputs)
        inputs[f"{name}_present"] = keras.Input((1,), name=f"{name}_present")
    return inputs, encoder_inputs


def _tabular_inputs(name, entry, inputs):
    parts = {}
    if entry["numeric"]:
        n = len(entry["numeric"])
        parts["numeric"] = inputs[f"{name}_numeric"] = keras.Input((n,), name=f"{name}_numeric")
        parts["missing"] = inputs[f"{name}_missing"] = keras.Input((n,), name=f"{name}_missing")
    if entry["categorical"]:
        k = len(entry["categorical"])
        parts["categorical"] = inputs[f"{name}_categorical"] = keras.Input((k,), dtype="int32", name=f"{name}_categorical")
    return parts
