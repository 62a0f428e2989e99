"""Spec -> Keras model: the one place where spec fields become constructor arguments."""

import keras

from keras_multimodal.encoders import ENCODERS_REGISTRY
from keras_multimodal.fusion import FUSIONS_REGISTRY
from keras_multimodal.layers.modality_dropout import ModalityDropout
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
    if spec.training.modality_dropout > 0 and len(present) > 1:
        present = ModalityDropout(spec.training.modality_dropout, seed=spec.training.seed, name="modality_dropout")(present)
    fusion = _fusion(spec, preprocessor)
    x = fusion(features, present)
    if getattr(fusion, "produces_output", False):
        outputs = _finish(spec, preprocessor, x)
    else:
        outputs = _head(spec, preprocessor, x)
    return keras.Model(inputs=inputs, outputs=outputs, name=spec.name)


def _output_units(spec, preprocessor):
    classes = preprocessor["__target__"]["classes"]
    task = spec.target.task
    units = 1 if task in ("binary", "regression") else len(classes)
    activation = {"binary": "sigmoid", "multilabel": "sigmoid", "multiclass": "softmax", "regression": "linear"}[task]
    return units, activation


def _fusion(spec, preprocessor):
    choice = spec.model.fusion
    cls = FUSIONS_REGISTRY.get_class(choice.name)
    kwargs = dict(choice.options)
    if getattr(cls, "produces_output", False):
        # Decision-level fusions end in the task's output layer themselves.
        kwargs["output_units"], kwargs["output_activation"] = _output_units(spec, preprocessor)
        kwargs.setdefault("dropout", spec.model.dropout)
        kwargs.setdefault("l2", spec.model.l2)
        kwargs.setdefault("units", spec.model.hidden_units)
    return FUSIONS_REGISTRY.create(choice.name, field="model.fusion", name="fusion", **kwargs)


def _finish(spec, preprocessor, x):
    if spec.target.task != "regression":
        return x
    target = preprocessor["__target__"]
    return TargetScaling(target["mean"], target["std"], name="output", dtype="float32")(x)


def _encoder(spec, name, sizes):
    choice = spec.model.encoders[name]
    if "from_pretrained" in choice.options:
        return _pretrained_encoder(spec, name, sizes, choice.options)
    kwargs = {"dropout": spec.model.dropout, "l2": spec.model.l2}
    if "vocabulary_size" in sizes:
        kwargs["vocabulary_size"] = sizes["vocabulary_size"]
    if spec.inputs[name].type == "tabular":
        kwargs["num_numeric"] = len(sizes["numeric"])
        kwargs["category_sizes"] = sizes["category_sizes"]
    reads_tokens = getattr(FUSIONS_REGISTRY.get_class(spec.model.fusion.name), "reads_tokens", False)
    if reads_tokens and getattr(ENCODERS_REGISTRY.get_class(choice.name), "projects_pooled", False):
        # The fusion never reads this encoder's pooled vector: a projection there would not train
        # (Keras warns "Gradients do not exist"), so it is left out unless the spec asks for one.
        kwargs["output_dim"] = None
    kwargs.update(choice.options)
    return ENCODERS_REGISTRY.create(choice.name, field=f"model.encoders.{name}", name=f"{name}_encoder", **kwargs)


def _pretrained_encoder(spec, name, sizes, options):
    """`model.encoders.<name>: {from_pretrained: RUN_DIR, freeze: bool}`: a `kmm pretrain` encoder."""
    from keras_multimodal.pretraining.pretrained_encoders import load_pretrained_encoder

    kind = spec.inputs[name].type
    shape = (None, *sizes["size"], sizes["channels"]) if kind == "image" else (None, sizes["sequence_length"])
    field = f"model.encoders.{name}.from_pretrained"
    return load_pretrained_encoder(options["from_pretrained"], kind, shape, options["freeze"], f"{name}_encoder", field)


def _head(spec, preprocessor, x):
    regularizer = keras.regularizers.L2(spec.model.l2) if spec.model.l2 else None
    x = keras.layers.Dense(spec.model.hidden_units, activation="relu", kernel_regularizer=regularizer, name="head_dense")(x)
    x = keras.layers.Dropout(spec.model.dropout, name="head_dropout")(x)
    units, activation = _output_units(spec, preprocessor)
    if spec.target.task != "regression":
        return keras.layers.Dense(units, activation=activation, name="output", dtype="float32")(x)
    x = keras.layers.Dense(1, name="standardised_output", dtype="float32")(x)
    return _finish(spec, preprocessor, x)
