"""The `pretrain:` and `zero_shot:` sections, and `from_pretrained` encoder choices."""

import dataclasses
import json
from pathlib import Path

from keras_multimodal.errors import SpecError
from keras_multimodal.specs import fields

_KEYS = {
    "image", "text", "embedding_dim", "local_weight", "global_weight", "tau1", "tau2", "tau3",
    "normalization", "aggregation", "text_chunk_size", "similarity", "retrieval_k", "attention_examples",
}
_PRETRAINED_KEYS = {"name", "from_pretrained", "freeze"}
ENCODERS_FILE = "encoders.json"


@dataclasses.dataclass(frozen=True)
class PretrainConfig:
    """Which inputs are paired for contrastive pretraining, and the loss settings."""

    image: str
    text: str
    embedding_dim: int = 64
    local_weight: float = 1.0
    global_weight: float = 1.0
    tau1: float = 4.0
    tau2: float = 5.0
    tau3: float = 10.0
    normalization: str = "gloria"
    aggregation: str = "sum"
    text_chunk_size: int = 8
    similarity: str = "both"
    retrieval_k: tuple = (1, 5, 10)
    attention_examples: int = 4

    @classmethod
    def from_dict(cls, raw, inputs):
        """Read the section; `image`/`text` default to the spec's only image/text input."""
        field = "pretrain"
        raw = raw or {}
        fields.check_keys(raw, _KEYS, field)
        number = lambda key, default, **limits: fields.get(raw, key, field, "float", default, **limits)  # noqa: E731
        k = fields.get(raw, "retrieval_k", field, "list", [1, 5, 10])
        if not k or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in k):
            raise SpecError("pretrain.retrieval_k", f"expected a list of integers >= 1, found {k!r}")
        return cls(
            image=_paired_input(raw, inputs, "image"),
            text=_paired_input(raw, inputs, "text"),
            embedding_dim=fields.get(raw, "embedding_dim", field, "int", 64, minimum=1),
            local_weight=number("local_weight", 1.0, minimum=0.0),
            global_weight=number("global_weight", 1.0, minimum=0.0),
            tau1=number("tau1", 4.0, minimum=0.0),
            tau2=number("tau2", 5.0, minimum=1e-6),
            tau3=number("tau3", 10.0, minimum=1e-6),
            normalization=fields.choice(raw, "normalization", field, ("gloria", "softmax"), "gloria"),
            aggregation=fields.choice(raw, "aggregation", field, ("sum", "mean", "max"), "sum"),
            text_chunk_size=fields.get(raw, "text_chunk_size", field, "int", 8, minimum=0),
            similarity=fields.choice(raw, "similarity", field, ("global", "local", "both"), "both"),
            retrieval_k=tuple(k),
            attention_examples=fields.get(raw, "attention_examples", field, "int", 4, minimum=0),
        )


def _paired_input(raw, inputs, kind):
    field = f"pretrain.{kind}"
    if kind in raw and raw[kind] is not None:
        name = fields.get(raw, kind, "pretrain", "str")
        if name not in inputs:
            raise SpecError(field, f"no such input{fields.close_matches(name, inputs)}; inputs: {', '.join(inputs)}")
        if inputs[name].type != kind:
            raise SpecError(field, f"input {name!r} is {inputs[name].type}, expected an {kind} input")
        return name
    candidates = [n for n, spec in inputs.items() if spec.type == kind]
    if len(candidates) != 1:
        raise SpecError(
            field,
            f"contrastive pretraining pairs one image input with one text input; the spec has "
            f"{len(candidates)} {kind} inputs ({', '.join(candidates) or 'none'}): name one with `pretrain: {{{kind}: <input>}}`",
        )
    return candidates[0]


def read_zero_shot(raw):
    """`zero_shot: {class: [prompt, ...]}` -> {class: (prompt, ...)} (None when absent)."""
    if raw is None:
        return None
    mapping = fields.read(raw, "zero_shot", "dict")
    if not mapping:
        raise SpecError("zero_shot", "expected at least one class with its prompts")
    out = {}
    for key, prompts in mapping.items():
        name = fields.normalize_value(key)
        out[name] = tuple(fields.read(prompts, f"zero_shot.{key}", "str_list"))
        if not out[name]:
            raise SpecError(f"zero_shot.{key}", "expected at least one prompt")
    return out


def pretrained_choice(raw, field, modality):
    """A `{from_pretrained: RUN_DIR, freeze: bool[, name]}` encoder choice -> (name, options).

    The encoder's registered name comes from the run's `encoders.json`, so the
    spec does not repeat the architecture; relative paths are taken from the
    working directory, as for other local files the spec names.
    """
    fields.check_keys(raw, _PRETRAINED_KEYS, field)
    run_dir = Path(fields.get(raw, "from_pretrained", field, "str")).expanduser().resolve()
    options = {"from_pretrained": str(run_dir), "freeze": fields.get(raw, "freeze", field, "bool", False)}
    if "name" in raw and not (run_dir / ENCODERS_FILE).exists():
        # A finished run's own spec.yaml: its model file holds the weights, the pretraining run may be gone.
        return fields.get(raw, "name", field, "str"), options
    record = _read_encoders(run_dir, f"{field}.from_pretrained")
    if modality not in record:
        raise SpecError(f"{field}.from_pretrained", f"{run_dir} has no pretrained {modality} encoder (it has: {', '.join(record)})")
    name = record[modality]["name"]
    given = fields.get(raw, "name", field, "str", name)
    if given != name:
        raise SpecError(f"{field}.name", f"the pretrained {modality} encoder in {run_dir} is {name!r}, not {given!r}")
    return name, options


def resolve_pretrained(resolved, model):
    """Write each pretrained encoder's name and absolute run directory into the resolved spec (`spec.yaml`)."""
    for input_name, choice in model.encoders.items():
        if "from_pretrained" in choice.options:
            resolved["model"]["encoders"][input_name] = {"name": choice.name, **choice.options}


def _read_encoders(run_dir, field):
    path = run_dir / ENCODERS_FILE
    if not path.is_file():
        raise SpecError(field, f"{run_dir} is not a finished `kmm pretrain` run directory (no {ENCODERS_FILE})")
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise SpecError(field, f"cannot read {path}: {error}") from None
