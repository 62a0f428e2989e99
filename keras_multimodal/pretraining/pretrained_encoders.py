"""Saving the encoders of a pretraining run, and loading them into a supervised model."""

import json
from pathlib import Path

from keras_multimodal.atomic import save_model
from keras_multimodal.atomic import write_json
from keras_multimodal.errors import SpecError
from keras_multimodal.specs.pretrain_config import ENCODERS_FILE


def save_encoders(model, spec, shapes, run_dir):
    """`encoders/<modality>.keras` (input -> the encoder's dict) and `encoders.json`.

    `shapes` maps the two input names to their batch shapes (`input_shapes`).
    """
    import keras

    run_dir = Path(run_dir)
    record = {}
    for modality, encoder, input_name in (
        ("image", model.image_encoder, spec.pretrain.image),
        ("text", model.text_encoder, spec.pretrain.text),
    ):
        shape = shapes[input_name]
        inputs = keras.Input(shape[1:], dtype="int32" if modality == "text" else "float32", name=input_name)
        wrapper = keras.Model(inputs, encoder(inputs), name=f"{modality}_encoder")
        save_model(wrapper, run_dir / "encoders" / f"{modality}.keras")
        record[modality] = {
            "input": input_name,
            "name": spec.model.encoders[input_name].name,
            "layer": encoder.name,
            "input_shape": list(shape[1:]),
        }
    write_json(run_dir / ENCODERS_FILE, record)
    return record


def load_pretrained_encoder(run_dir, modality, input_shape, freeze=False, name=None, field=None):
    """A fresh copy of the run's `modality` encoder named `name`, weights loaded, built for `input_shape`."""
    import keras

    import keras_multimodal.pretraining  # noqa: F401 (registers the pretraining layers)

    run_dir = Path(run_dir)
    path = run_dir / "encoders" / f"{modality}.keras"
    if not path.is_file():
        raise SpecError(field, f"{path} not found: is {run_dir} a finished `kmm pretrain` run?")
    source = keras.saving.load_model(path, safe_mode=True).layers[-1]
    config = keras.layers.serialize(source)
    config["config"]["name"] = name or source.name
    config.pop("build_config", None)  # built below for this spec's input shape
    encoder = keras.layers.deserialize(config)
    encoder.build(tuple(input_shape))
    try:
        encoder.set_weights(source.get_weights())
    except ValueError as error:
        raise SpecError(field, f"the pretrained {modality} encoder does not fit this input (shape {tuple(input_shape)[1:]}): {error}") from None
    encoder.trainable = not freeze
    return encoder


def pretrained_text_entry(run_dir, spec_input):
    """The pretraining run's tokenisation of its text input, reused so token ids keep their meaning."""
    run_dir = Path(run_dir)
    if not (run_dir / ENCODERS_FILE).is_file():
        raise SpecError(f"inputs.{spec_input.name}", f"{run_dir} is not a finished `kmm pretrain` run (no {ENCODERS_FILE})")
    record = json.loads((run_dir / ENCODERS_FILE).read_text())
    state = json.loads((run_dir / "preprocessing.json").read_text())
    entry = dict(state[record["text"]["input"]])
    if spec_input.sequence_length != entry["sequence_length"] and entry.get("tokenizer") != "wordpiece":
        entry["sequence_length"] = spec_input.sequence_length
    return {k: v for k, v in entry.items() if k != "type"}
