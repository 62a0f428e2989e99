"""One entry of `inputs:`: one modality read from one or more columns."""

import dataclasses
import string

from keras_multimodal.errors import SpecError
from keras_multimodal.specs import fields

MODALITIES = ("image", "text", "tabular")
_COMMON = {"type", "required"}
_KEYS = {
    "image": _COMMON | {"column", "path_template", "size", "channels", "augment", "max_pixels"},
    "text": _COMMON | {"column", "max_tokens", "sequence_length", "standardize"},
    "tabular": _COMMON | {"numeric", "categorical", "strict"},
}
_AUGMENT_KEYS = {"flip", "rotation", "zoom", "contrast", "translation"}


@dataclasses.dataclass(frozen=True)
class InputSpec:
    """A modality: its type, its column(s) and how it is preprocessed."""

    name: str
    type: str
    column: str | None = None
    required: bool = False
    # image
    path_template: str = "{}"
    size: tuple = (128, 128)
    channels: int = 3
    augment: dict = dataclasses.field(default_factory=dict)
    max_pixels: int = 50_000_000
    # text
    max_tokens: int = 20000
    sequence_length: int = 128
    standardize: str = "lower_and_strip_punctuation"
    # tabular
    numeric: tuple = ()
    categorical: tuple = ()
    strict: bool = False

    @property
    def columns(self):
        """The raw table columns this input reads."""
        if self.type == "tabular":
            return self.numeric + self.categorical
        return (self.column,)

    @classmethod
    def from_dict(cls, name, raw):
        field = f"inputs.{name}"
        if not isinstance(raw, dict):
            raise SpecError(field, f"expected a mapping with `type:` ({', '.join(MODALITIES)}), found {raw!r}")
        kind = fields.choice(raw, "type", field, MODALITIES)
        fields.check_keys(raw, _KEYS[kind], field)
        common = {"name": name, "type": kind, "required": fields.get(raw, "required", field, "bool", False)}
        return cls(**common, **_READERS[kind](raw, field))


def _image(raw, field):
    template = fields.get(raw, "path_template", field, "str", "{}")
    if template.count("{}") != 1 or not _one_placeholder(template):
        raise SpecError(f"{field}.path_template", f"expected exactly one '{{}}' for the column value, found {template!r}")
    size = fields.get(raw, "size", field, "list", [128, 128])
    if len(size) != 2 or not all(isinstance(s, int) and not isinstance(s, bool) and 8 <= s <= 2048 for s in size):
        raise SpecError(f"{field}.size", f"expected [height, width] integers between 8 and 2048, found {size!r}")
    channels = fields.get(raw, "channels", field, "int", 3)
    if channels not in (1, 3):
        raise SpecError(f"{field}.channels", f"expected 1 (grey) or 3 (RGB), found {channels!r}")
    return {
        "column": fields.get(raw, "column", field, "str"),
        "path_template": template,
        "size": tuple(size),
        "channels": channels,
        "augment": _augment(raw, field),
        "max_pixels": fields.get(raw, "max_pixels", field, "int", 50_000_000, minimum=1),
    }


def _one_placeholder(template):
    """True when `template.format(value)` works and uses the value exactly once ('{{}}' is a literal)."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
        template.format("x")
    except (ValueError, KeyError, IndexError, AttributeError):
        return False
    return names == [""]


def _augment(raw, field):
    value = fields.get(raw, "augment", field, "dict", {})
    field = f"{field}.augment"
    fields.check_keys(value, _AUGMENT_KEYS, field)
    out = {}
    if "flip" in value:
        out["flip"] = fields.choice(value, "flip", field, ("horizontal", "vertical", "horizontal_and_vertical"))
    for key in sorted(_AUGMENT_KEYS - {"flip"}):
        if key in value:
            out[key] = fields.get(value, key, field, "float", minimum=0.0, maximum=1.0)
    return out


def _text(raw, field):
    return {
        "column": fields.get(raw, "column", field, "str"),
        "max_tokens": fields.get(raw, "max_tokens", field, "int", 20000, minimum=10),
        "sequence_length": fields.get(raw, "sequence_length", field, "int", 128, minimum=1, maximum=4096),
        "standardize": fields.choice(
            raw, "standardize", field, ("lower_and_strip_punctuation", "lower", "strip_punctuation", "none"),
            "lower_and_strip_punctuation",
        ),
    }


def _tabular(raw, field):
    numeric = tuple(fields.get(raw, "numeric", field, "str_list", []))
    categorical = tuple(fields.get(raw, "categorical", field, "str_list", []))
    if not numeric and not categorical:
        raise SpecError(field, "a tabular input needs `numeric:` and/or `categorical:` columns")
    both = set(numeric) & set(categorical)
    if both:
        raise SpecError(field, f"columns listed as both numeric and categorical: {sorted(both)}")
    return {"numeric": numeric, "categorical": categorical, "strict": fields.get(raw, "strict", field, "bool", False)}


_READERS = {"image": _image, "text": _text, "tabular": _tabular}
