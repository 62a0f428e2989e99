"""Models written by hand with the Keras Functional API, as a user would without the toolkit.

`hand_demo_model` is layer for layer the architecture the toolkit builds for the
demo spec (cnn image encoder, lstm text encoder, mlp tabular encoder, concat
fusion with presence flags, dense head), fed by the same input dict, so the
overhead benchmark measures only what the toolkit's layers add.
`hand_concat_model` is the simple peer of the accuracy benchmark: Embedding +
average pooling for text, dense layers for the table, concatenated.
"""

import keras


def _tabular_parts(inputs, name, num_numeric, category_sizes, embedding_dim):
    parts = []
    if num_numeric:
        parts += [inputs[f"{name}_numeric"], inputs[f"{name}_missing"]]
    if category_sizes:
        categorical = inputs[f"{name}_categorical"]
        for i, size in enumerate(category_sizes):
            # Slicing a symbolic tensor adds an op node, as users write it in the Functional API.
            parts.append(keras.layers.Embedding(size, embedding_dim, name=f"{name}_embedding_{i}")(categorical[:, i]))
    return keras.layers.Concatenate(name=f"{name}_features")(parts) if len(parts) > 1 else parts[0]


def _keras_inputs(sizes, spec):
    """The same named inputs the toolkit's pipeline produces."""
    inputs = {}
    for name, spec_input in spec.inputs.items():
        entry = sizes[name]
        if spec_input.type == "image":
            inputs[name] = keras.Input((*entry["size"], entry["channels"]), name=name)
        elif spec_input.type == "text":
            inputs[name] = keras.Input((entry["sequence_length"],), dtype="int32", name=name)
        else:
            if entry["numeric"]:
                inputs[f"{name}_numeric"] = keras.Input((len(entry["numeric"]),), name=f"{name}_numeric")
                inputs[f"{name}_missing"] = keras.Input((len(entry["numeric"]),), name=f"{name}_missing")
            if entry["categorical"]:
                inputs[f"{name}_categorical"] = keras.Input((len(entry["categorical"]),), dtype="int32", name=f"{name}_categorical")
        inputs[f"{name}_present"] = keras.Input((1,), name=f"{name}_present")
    return inputs


def hand_demo_model(spec, preprocessor):
    """The demo spec's concat model, written out with stock Keras layers."""
    layers = keras.layers
    sizes = preprocessor.sizes()
    inputs = _keras_inputs(sizes, spec)
    dropout = spec.model.dropout
    pooled = {}
    for name, spec_input in spec.inputs.items():
        options = spec.model.encoders[name].options
        if spec_input.type == "image":
            x = inputs[name]
            for f in options.get("filters", (16, 32, 64)):
                x = layers.Conv2D(f, options.get("kernel_size", 3), padding="same", use_bias=False)(x)
                x = layers.BatchNormalization(momentum=0.9)(x)
                x = layers.ReLU()(x)
                x = layers.MaxPooling2D(2)(x)
            x = layers.Dropout(dropout)(layers.GlobalAveragePooling2D()(x))
            pooled[name] = layers.Dense(options.get("output_dim", 64), activation="relu")(x)
        elif spec_input.type == "text":
            x = layers.Embedding(sizes[name]["vocabulary_size"], options.get("embedding_dim", 64), mask_zero=True)(inputs[name])
            pooled[name] = layers.LSTM(options.get("units", 64), dropout=dropout)(x)
        else:
            x = _tabular_parts(inputs, name, len(sizes[name]["numeric"]), sizes[name]["category_sizes"], options.get("embedding_dim", 8))
            for units in options.get("units", [64]):
                x = layers.Dropout(dropout)(layers.Dense(units, activation="relu")(x))
            pooled[name] = x
    parts = []
    for name in sorted(pooled):
        flag = inputs[f"{name}_present"]
        parts += [layers.Multiply()([pooled[name], flag]), flag]
    x = layers.Concatenate()(parts)
    x = layers.Dropout(dropout)(layers.Dense(spec.model.hidden_units, activation="relu")(x))
    outputs = layers.Dense(1, activation="sigmoid", name="output")(x)
    return keras.Model(inputs, outputs, name="hand_written")


def hand_concat_model(spec, preprocessor, embedding_dim=32, units=64, dropout=0.3):
    """Accuracy peer: Embedding + GlobalAveragePooling1D text, Dense tabular, concatenated."""
    layers = keras.layers
    sizes = preprocessor.sizes()
    inputs = _keras_inputs(sizes, spec)
    parts = []
    for name, spec_input in spec.inputs.items():
        if spec_input.type == "text":
            # No mask_zero: with it, a row with no text averages over zero tokens (0/0 = NaN) and the
            # NaN gradients poison the embedding (measured on covid_chestxray); the plain average
            # over the padded sequence is what Keras tutorials write.
            x = layers.Embedding(sizes[name]["vocabulary_size"], embedding_dim)(inputs[name])
            parts.append(layers.GlobalAveragePooling1D()(x))
        elif spec_input.type == "tabular":
            x = _tabular_parts(inputs, name, len(sizes[name]["numeric"]), sizes[name]["category_sizes"], 4)
            parts.append(layers.Dense(units, activation="relu")(x))
        elif spec_input.type == "image":
            x = layers.Conv2D(16, 3, activation="relu")(inputs[name])
            x = layers.MaxPooling2D(2)(x)
            x = layers.Conv2D(32, 3, activation="relu")(x)
            parts.append(layers.GlobalAveragePooling2D()(x))
    x = layers.Concatenate()(parts) if len(parts) > 1 else parts[0]
    x = layers.Dropout(dropout)(layers.Dense(units, activation="relu")(x))
    outputs = layers.Dense(1, activation="sigmoid", name="output")(x)
    return keras.Model(inputs, outputs, name="hand_concat")
