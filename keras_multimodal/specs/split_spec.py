"""The `split:` section: how rows go to train, val and test."""

import dataclasses

from keras_multimodal.errors import SpecError
from keras_multimodal.specs import fields

_KEYS = {"group_by", "column", "hash", "test", "val", "seed"}


@dataclasses.dataclass(frozen=True)
class SplitSpec:
    """One of four forms: `group_by`, `column`, `hash`, or stratified random."""

    kind: str = "random"
    column: str | None = None
    test: float = 0.2
    val: float = 0.1
    seed: int = 0

    @classmethod
    def from_dict(cls, raw):
        field = "split"
        raw = raw or {}
        fields.check_keys(raw, _KEYS, field)
        forms = [key for key in ("group_by", "column", "hash") if raw.get(key) is not None]
        if len(forms) > 1:
            raise SpecError(field, f"choose one of group_by, column or hash, found {', '.join(forms)}")
        kind = forms[0] if forms else "random"
        if kind == "column":
            extra = [key for key in ("test", "val", "seed") if key in raw]
            if extra:
                raise SpecError(f"split.{extra[0]}", "`split.column` takes the split from the data; drop this key")
        test = fields.get(raw, "test", field, "float", 0.2, minimum=0.0, maximum=0.9)
        val = fields.get(raw, "val", field, "float", 0.1, minimum=0.0, maximum=0.9)
        if test + val >= 1.0:
            raise SpecError("split", f"test + val must leave rows for training, found {test} + {val}")
        if kind != "column" and test <= 0.0:
            raise SpecError("split.test", "expected a fraction > 0 so that the model can be tested")
        if kind != "column" and val <= 0.0:
            # Early stopping, the binary threshold and model selection all read the val split.
            raise SpecError("split.val", "expected a fraction > 0: early stopping and the decision threshold use the validation split")
        return cls(
            kind=kind,
            column=fields.get(raw, kind, field, "str") if kind != "random" else None,
            test=test,
            val=val,
            seed=fields.get(raw, "seed", field, "int", 0),
        )
