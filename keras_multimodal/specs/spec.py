"""The whole data spec: typed, frozen, validated in one pass."""

import copy
import dataclasses
import hashlib
import json
import re

from keras_multimodal.errors import SpecError
from keras_multimodal.specs import fields
from keras_multimodal.specs.data_config import DataConfig
from keras_multimodal.specs.input_spec import InputSpec
from keras_multimodal.specs.model_config import ModelConfig
from keras_multimodal.specs.pretrain_config import PretrainConfig
from keras_multimodal.specs.pretrain_config import read_zero_shot
from keras_multimodal.specs.pretrain_config import resolve_pretrained
from keras_multimodal.specs.split_spec import SplitSpec
from keras_multimodal.specs.streaming_checks import check_streaming_split
from keras_multimodal.specs.target_spec import TargetSpec
from keras_multimodal.specs.training_config import TrainingConfig
from keras_multimodal.specs.tuning_config import TuningConfig

TOP_KEYS = {"name", "data", "target", "split", "inputs", "model", "training", "tuning", "pretrain", "zero_shot"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


@dataclasses.dataclass(frozen=True)
class Spec:
    """A validated spec; `raw` is the resolved mapping written to `spec.yaml`."""

    name: str
    data: DataConfig
    target: TargetSpec | None
    split: SplitSpec
    inputs: dict
    model: ModelConfig
    training: TrainingConfig
    raw: dict
    source: str | None = None
    tuning: TuningConfig = TuningConfig()
    pretrain: PretrainConfig | None = None  # `kmm pretrain` settings; the target is optional with it
    zero_shot: dict | None = None  # class -> prompts, scored by a pretrained dual encoder

    @classmethod
    def from_dict(cls, raw, spec_dir=".", data_root=None, source=None):
        try:
            return cls._from_dict(raw, spec_dir, data_root, source)
        except SpecError as error:
            error.source = error.source or source
            raise

    @classmethod
    def _from_dict(cls, raw, spec_dir, data_root, source):
        fields.check_keys(raw, TOP_KEYS, "")
        name = fields.get(raw, "name", "", "str")
        if not _NAME.match(name):
            raise SpecError("name", f"expected letters, digits, '_', '-' or '.' (it names the run folder), found {name!r}")
        inputs_raw = fields.get(raw, "inputs", "", "dict")
        if not inputs_raw:
            raise SpecError("inputs", "expected at least one input")
        inputs = {}
        for key, value in inputs_raw.items():
            if not _NAME.match(str(key)) or "." in str(key):
                raise SpecError(f"inputs.{key}", "input names take letters, digits, '_' and '-'")
            inputs[str(key)] = InputSpec.from_dict(str(key), value)
        data = DataConfig.from_dict(fields.get(raw, "data", "", "dict"), spec_dir, data_root)
        pretrain = None if raw.get("pretrain") is None else PretrainConfig.from_dict(fields.get(raw, "pretrain", "", "dict"), inputs)
        # Pretraining learns from pairs alone: with a `pretrain:` section the target may be left out.
        target = None
        if pretrain is None or raw.get("target") is not None:
            target = TargetSpec.from_dict(fields.get(raw, "target", "", "dict"))
        if target is not None:
            _check_columns_distinct(inputs, target)
        resolved = copy.deepcopy(raw)
        resolved["data"]["root"] = data.root
        split = SplitSpec.from_dict(raw.get("split"))
        check_streaming_split(data, split)
        model = ModelConfig.from_dict(raw.get("model"), inputs)
        resolve_pretrained(resolved, model)
        return cls(
            name=name,
            data=data,
            target=target,
            split=split,
            inputs=inputs,
            model=model,
            training=TrainingConfig.from_dict(raw.get("training")),
            raw=resolved,
            source=source,
            tuning=TuningConfig.from_dict(raw.get("tuning"), inputs, target.task) if target else TuningConfig(),
            pretrain=pretrain,
            zero_shot=read_zero_shot(raw.get("zero_shot")),
        )

    @property
    def hash(self):
        """Identity of what is trained: the resolved spec, key order ignored."""
        text = json.dumps(_text_keys(self.raw), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def with_inputs(self, names):
        """The same spec restricted to some inputs (a unimodal baseline)."""
        raw = copy.deepcopy(self.raw)
        raw["inputs"] = {n: v for n, v in raw["inputs"].items() if n in names}
        encoders = (raw.get("model") or {}).get("encoders") or {}
        if encoders:
            raw["model"]["encoders"] = {n: v for n, v in encoders.items() if n in names}
        return Spec.from_dict(raw, source=self.source)


def _text_keys(node):
    """Mapping keys as text, so that mixed keys (`1` and `"a"` in data.where) can be sorted."""
    if isinstance(node, dict):
        return {str(k): _text_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_text_keys(v) for v in node]
    return node


def _check_columns_distinct(inputs, target):
    for name, spec in inputs.items():
        for column in spec.columns:
            if column in target.target_columns:
                raise SpecError(f"inputs.{name}", f"column {column!r} is the target: it would leak the label")
