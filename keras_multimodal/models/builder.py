"""Spec -> Keras model: the one place where spec fields become constructor arguments."""

import keras

from keras_multimodal.encoders import ENCODERS_REGISTRY
from keras_multimodal.fusion import FUSIONS_REGISTRY
from keras_multimodal.layers.target_scaling import TargetScaling
from keras_multimodal.models.model_inputs import model_inputs


def build_model(spec, preprocessor=None):
    """Build the (uncompiled) functional model for a spec.

    Args:
        spec: `keras_multimodal.Spec`.
        preprocessor: fitted `Preprocessor`; when omitted it is fitted on the
            spec's training split (vocabulary and category sizes come from data).
    """
    if preprocessor is None:
        from keras_multimodal.training.data_setup import prepare_data

        preprocessor = prepare_data(spec).preprocessor
    sizes = preprocessor.sizes()
    inputs, encoder_inputs = model_inputs(spec, sizes)
    features, present = {}, {}
    for name, spec_input in spec.inputs.items():
        encoder = _encoder(spec, name, sizes[name])
        features[name] = encoder(encoder_inputs[name])
        present[name] = inputs[f"{name}_present"]
    choice = spec.model.fusion
    fusion = FUSIONS_REGISTRY.create(choice.name, field="model.fusion", name="fusion", **choice.options)
    x = fusion(features, present)
    outputs = _head(spec, preprocessor, x)
    return keras.Model(inputs=inputs, outputs=outputs, name=spec.name)


def _encoder(spec, name, sizes):
    choice = spec.model.encoders[name]
    kwargs = {"dropout": spec.model.dropout, "l2": spec.model.l2}
    if "vocabulary_size" in sizes:
        kwargs["vocabulary_size"] = sizes["vocabulary_size"]
    if spec.inputs[name].type == "tabular":
        kwargs["num_numeric"] = len(sizes["numeric"])
        kwargs["category_sizes"] = sizes["category_sizes"]
    kwargs.update(choice.options)
    return ENCODERS_REGISTRY.create(choice.name, field=f"model.encoders.{name}", name=f"{name}_encoder", **kwargs)


def _head(spec, preprocessor, x):
    regularizer = keras.regularizers.L2(spec.model.l2) if spec.model.l2 else None
    x = keras.layers.Dense(spec.model.hidden_units, activation="relu", kernel_regularizer=regularizer, name="head_dense")(x)
    x = keras.layers.Dropout(spec.model.dropout, name="head_dropout")(x)
    task = spec.target.task
    classes = preprocessor["__target__"]["classes"]
    if task == "binary":
        return keras.layers.Dense(1, activation="sigmoid", name="output", dtype="float32")(x)
    if task == "multiclass":
        return keras.layers.Dense(len(classes), activation="softmax", name="output", dtype="float32")(x)
    if task == "multilabel":
        return keras.layers.Dense(len(classes), activation="sigmoid", name="output", dtype="float32")(x)
    target = preprocessor["__target__"]
    x = keras.layers.Dense(1, name="standardised_output", dtype="float32")(x)
    return TargetScaling(target["mean"], target["std"], name="output", dtype="float32")(x)
