"""The `training:` section: optimisation and run settings."""

import dataclasses

from keras_multimodal.specs import fields

_KEYS = {"epochs", "batch_size", "learning_rate", "seed", "optimizer", "patience", "baselines", "class_weight", "modality_dropout"}


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """How long and how to train; `baselines` also trains one model per modality."""

    epochs: int = 20
    batch_size: int = 32
    learning_rate: float = 1e-3
    seed: int = 7
    optimizer: str = "adam"
    patience: int = 5
    baselines: bool = True
    class_weight: str | None = None
    modality_dropout: float = 0.0

    @classmethod
    def from_dict(cls, raw):
        field = "training"
        raw = raw or {}
        fields.check_keys(raw, _KEYS, field)
        return cls(
            epochs=fields.get(raw, "epochs", field, "int", 20, minimum=1),
            batch_size=fields.get(raw, "batch_size", field, "int", 32, minimum=1),
            learning_rate=fields.get(raw, "learning_rate", field, "float", 1e-3, minimum=1e-8, maximum=10.0),
            seed=fields.get(raw, "seed", field, "int", 7),
            optimizer=fields.choice(raw, "optimizer", field, ("adam", "adamw", "sgd", "rmsprop"), "adam"),
            patience=fields.get(raw, "patience", field, "int", 5, minimum=0),
            baselines=fields.get(raw, "baselines", field, "bool", True),
            class_weight=fields.choice(raw, "class_weight", field, ("none", "balanced"), "none"),
            modality_dropout=fields.get(raw, "modality_dropout", field, "float", 0.0, minimum=0.0, maximum=0.9),
        )
