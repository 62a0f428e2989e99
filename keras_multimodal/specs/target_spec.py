"""The `target:` section: what to predict."""

import dataclasses

from keras_multimodal.errors import SpecError
from keras_multimodal.specs import fields

TASKS = ("binary", "multiclass", "multilabel", "regression")
_KEYS = {"column", "columns", "task", "positive", "classes", "missing"}


@dataclasses.dataclass(frozen=True)
class TargetSpec:
    """The target column(s), the task, and how labels are read."""

    task: str
    column: str | None = None
    columns: tuple = ()
    positive: tuple = ()
    classes: tuple = ()
    missing: str = "drop"

    @property
    def target_columns(self):
        return self.columns if self.columns else (self.column,)

    @classmethod
    def from_dict(cls, raw):
        field = "target"
        fields.check_keys(raw, _KEYS, field)
        task = fields.choice(raw, "task", field, TASKS)
        column = fields.get(raw, "column", field, "str", None)
        columns = tuple(fields.get(raw, "columns", field, "str_list", []))
        if task == "multilabel":
            if column is not None or len(columns) < 2:
                raise SpecError("target.columns", "multilabel needs `columns:` with at least two binary columns")
        elif columns or column is None:
            raise SpecError("target.column", f"a {task} target needs one `column:` (`columns:` is for multilabel)")
        positive = tuple(fields.values(raw, "positive", field, []))
        classes = tuple(fields.values(raw, "classes", field, []))
        _check_labels(task, positive, classes)
        return cls(
            task=task,
            column=column,
            columns=columns,
            positive=positive,
            classes=classes,
            missing=fields.choice(raw, "missing", field, ("drop", "error"), "drop"),
        )


def _check_labels(task, positive, classes):
    if task == "binary" and not positive and len(classes) != 2:
        raise SpecError("target.positive", "a binary target needs `positive: [values]` (or exactly two `classes`)")
    if task in ("multiclass", "regression") and positive:
        raise SpecError("target.positive", f"`positive` applies to binary and multilabel targets, not {task}")
    if task == "regression" and classes:
        raise SpecError("target.classes", "a regression target has no classes")
    if len(set(classes)) != len(classes):
        raise SpecError("target.classes", f"classes repeat: {list(classes)}")
    missing = [p for p in positive if classes and p not in classes]
    if missing:
        raise SpecError("target.positive", f"{missing} not among target.classes {list(classes)}")
