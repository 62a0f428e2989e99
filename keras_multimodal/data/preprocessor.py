"""Fitted preprocessing state: learned on the training split only, saved with the run."""

import json
from pathlib import Path

import numpy as np

from keras_multimodal.data.table_data import present_mask

_MAX_CATEGORIES = 1000


class Preprocessor:
    """Vocabularies, statistics and category lists, one entry per input.

    Plain JSON state, so a run directory carries everything the serving
    export and `Run.predict` need; the TensorFlow functions that apply it live
    in `keras_multimodal.data.tf_ops`.
    """

    def __init__(self, state=None):
        self.state = state or {}

    @classmethod
    def fit(cls, spec, train):
        state = {}
        for name, spec_input in spec.inputs.items():
            entry = data_free_entry(spec, name)
            if entry is None:
                fit = {"image": _fit_image, "text": _fit_text, "tabular": _fit_tabular}[spec_input.type]
                entry = fit(spec_input, train.frame)
            state[name] = {"type": spec_input.type, **entry}
        state["__target__"] = _fit_target(spec, train)
        return cls(state)

    def __getitem__(self, name):
        return self.state[name]

    def save(self, path):
        from keras_multimodal.atomic import write_text

        write_text(path, json.dumps(self.state, indent=1, sort_keys=True))

    @classmethod
    def load(cls, path):
        return cls(json.loads(Path(path).read_text()))

    def sizes(self):
        """What the model builder needs: shapes and vocabulary sizes per input."""
        out = {}
        for name, entry in self.state.items():
            if name.startswith("__"):
                continue
            out[name] = {k: v for k, v in entry.items() if k not in ("vocabulary", "categories", "mean", "std")}
            if entry["type"] == "text":
                out[name]["vocabulary_size"] = len(entry["vocabulary"])
            if entry["type"] == "tabular":
                out[name]["category_sizes"] = [len(c) + 2 for c in entry["categories"]]
        return out


def data_free_entry(spec, name):
    """The state of an input that the data does not change (pretrained vocabularies), else None.

    Shared with the streaming fit (`streaming_stats`), which learns the others chunk by chunk.
    """
    spec_input, encoder = spec.inputs[name], spec.model.encoders[name]
    if spec_input.type == "text" and "from_pretrained" in encoder.options:
        # A pretrained text encoder reads the ids of its pretraining vocabulary.
        from keras_multimodal.pretraining.pretrained_encoders import pretrained_text_entry

        return pretrained_text_entry(encoder.options["from_pretrained"], spec_input)
    if spec_input.type == "text" and encoder.name == "bert":
        return _fit_wordpiece(spec_input, encoder.options, f"model.encoders.{name}.preset")
    return None


def _fit_image(spec_input, frame):
    return {"size": list(spec_input.size), "channels": spec_input.channels, "augment": spec_input.augment}


def _fit_text(spec_input, frame):
    # Adapting the Keras layer itself keeps tokenisation identical in training and serving.
    from keras_multimodal.data.tf_ops import adapt_vocabulary

    texts = frame[spec_input.name][present_mask(frame, spec_input)].tolist()
    return {
        "vocabulary": adapt_vocabulary(texts, spec_input.max_tokens, spec_input.standardize),
        "sequence_length": spec_input.sequence_length,
        "standardize": spec_input.standardize,
    }


def _fit_wordpiece(spec_input, options, field):
    # A pretrained BERT reads the ids of its own WordPiece vocabulary, so the
    # vocabulary comes from the preset, not from the data (max_tokens and
    # standardize do not apply); it is stored here so the run directory is
    # self-contained.
    from keras_multimodal.data.tf_ops import preset_wordpiece
    from keras_multimodal.encoders.text_bert_encoder import MINILM
    from keras_multimodal.encoders.text_bert_encoder import resolve_preset
    from keras_multimodal.errors import SpecError

    try:
        preset = resolve_preset(options.get("preset", MINILM))
    except ValueError as error:
        raise SpecError(field, str(error)) from None
    vocabulary, lowercase = preset_wordpiece(preset)
    return {
        "tokenizer": "wordpiece",
        "preset": preset,
        "vocabulary": vocabulary,
        "lowercase": lowercase,
        "sequence_length": spec_input.sequence_length,
    }


def _fit_tabular(spec_input, frame):
    name = spec_input.name
    means, stds, categories = [], [], []
    for column in spec_input.numeric:
        values = frame[f"{name}/{column}"].to_numpy(dtype="float64")
        finite = values[np.isfinite(values)]
        means.append(float(finite.mean()) if finite.size else 0.0)
        std = float(finite.std()) if finite.size > 1 else 1.0
        stds.append(std if std > 1e-12 else 1.0)
    for column in spec_input.categorical:
        values = frame[f"{name}/{column}"]
        counts = values[values != ""].value_counts()
        ordered = sorted(counts.index, key=lambda v: (-counts[v], v))[:_MAX_CATEGORIES]
        categories.append([str(v) for v in ordered])
    return {
        "numeric": list(spec_input.numeric),
        "categorical": list(spec_input.categorical),
        "mean": means,
        "std": stds,
        "categories": categories,
    }


def _fit_target(spec, train):
    if spec.target.task != "regression":
        return {"classes": list(train.classes)}
    y = np.asarray(train.labels, dtype="float64")
    return {"classes": [], "mean": float(y.mean()), "std": float(y.std()) or 1.0}
