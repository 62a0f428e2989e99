"""What each tensor input of the core model (the `.keras` / ONNX artifact) holds."""


def tensor_inputs(model, preprocessor):
    """[{name, dtype, shape, meaning}] for the model's inputs, in the model's order.

    These are the outputs of `FeatureTransform` (the tf.data pipeline and the
    SavedModel compute them); a client of the tensor-input artifacts has to
    reproduce them from `preprocessing.json`.
    """
    meanings = {}
    for name, entry in preprocessor.state.items():
        if name.startswith("__"):
            continue
        meanings[f"{name}_present"] = "1.0 when the input is present in the row, 0.0 when absent"
        if entry["type"] == "image":
            height, width = entry["size"]
            meanings[name] = (
                f"decoded image resized to {height}x{width} (bilinear, antialias), {entry['channels']} channel(s), "
                "values in [0, 1]; zeros when absent"
            )
        elif entry["type"] == "text":
            meanings[name] = (
                f"token ids into preprocessing.json['{name}']['vocabulary'] (0 padding, 1 out-of-vocabulary), "
                f"padded or truncated to {entry['sequence_length']}"
            )
        else:
            meanings[f"{name}_numeric"] = (
                f"(value - mean) / std per column of {entry['numeric']} with preprocessing.json mean/std; 0 when missing"
            )
            meanings[f"{name}_missing"] = "1.0 where the numeric value is missing, else 0.0"
            meanings[f"{name}_categorical"] = (
                f"per column of {entry['categorical']}: 0 missing, 1 unseen, 2 + index in preprocessing.json categories"
            )
    out = []
    for tensor in model.inputs:
        name = tensor.name
        out.append({"name": name, "dtype": str(tensor.dtype), "shape": [None, *tensor.shape[1:]], "meaning": meanings.get(name, "")})
    return out
