"""The `model:` section: encoders per input, the fusion, the head."""

import dataclasses

from keras_multimodal.errors import SpecError
from keras_multimodal.specs import components
from keras_multimodal.specs import fields
from keras_multimodal.specs.pretrain_config import pretrained_choice

_KEYS = {"fusion", "encoders", "dropout", "l2", "hidden_units"}


@dataclasses.dataclass(frozen=True)
class ComponentChoice:
    """A registered component's name and the options passed to its constructor."""

    name: str
    options: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def from_raw(cls, raw, field, valid):
        if isinstance(raw, dict):
            options = dict(raw)
            name = fields.get(options, "name", field, "str")
            options.pop("name")
            for key in options:
                if not isinstance(key, str) or not key.isidentifier():
                    raise SpecError(f"{field}.{key}", f"expected an option name (letters, digits and '_'), found {key!r}")
        else:
            name, options = fields.read(raw, field, "str"), {}
        if name not in valid:
            raise SpecError(field, f"unknown name {name!r}{fields.close_matches(name, valid)}; valid: {', '.join(valid)}")
        return cls(name=name, options=options)


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Which encoder reads each input, how they are fused, and the head."""

    fusion: ComponentChoice
    encoders: dict
    dropout: float = 0.2
    l2: float = 0.0
    hidden_units: int = 64

    @classmethod
    def from_dict(cls, raw, inputs):
        field = "model"
        raw = raw or {}
        fields.check_keys(raw, _KEYS, field)
        fusion = ComponentChoice.from_raw(_or(raw.get("fusion"), "concat"), "model.fusion", components.FUSIONS)
        chosen = fields.get(raw, "encoders", field, "dict", {})
        for name in chosen:
            if name not in inputs:
                raise SpecError(f"model.encoders.{name}", f"no such input{fields.close_matches(name, inputs)}; inputs: {', '.join(inputs)}")
        encoders = {}
        for name, spec in inputs.items():
            valid = components.ENCODERS[spec.type]
            raw_choice = _or(chosen.get(name), components.DEFAULT_ENCODERS[spec.type])
            if isinstance(raw_choice, dict) and "from_pretrained" in raw_choice:
                # The architecture and weights come from a `kmm pretrain` run directory.
                encoders[name] = ComponentChoice(*pretrained_choice(raw_choice, f"model.encoders.{name}", spec.type))
                continue
            encoders[name] = ComponentChoice.from_raw(raw_choice, f"model.encoders.{name}", valid)
        return cls(
            fusion=fusion,
            encoders=encoders,
            dropout=fields.get(raw, "dropout", field, "float", 0.2, minimum=0.0, maximum=0.9),
            l2=fields.get(raw, "l2", field, "float", 0.0, minimum=0.0),
            hidden_units=fields.get(raw, "hidden_units", field, "int", 64, minimum=1),
        )


def _or(value, default):
    """A null choice means the default, like every other spec key."""
    return default if value is None else value
