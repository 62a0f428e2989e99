"""The `data:` section: where the table is and which rows to keep."""

import dataclasses
import os
import re
from pathlib import Path

from keras_multimodal.errors import SpecError
from keras_multimodal.specs import fields

_KEYS = {"table", "root", "id", "where", "exclude", "na_values", "join", "limit", "on_bad_rows", "generate", "streaming"}
_TABLE_SUFFIXES = (".csv", ".parquet", ".jsonl", ".parquet.brotli", ".csv.gz")
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}")


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """Where the table lives, how it is filtered, and what counts as missing."""

    table: str
    root: str
    id: str | None = None
    where: dict = dataclasses.field(default_factory=dict)
    exclude: dict = dataclasses.field(default_factory=dict)
    na_values: tuple = ()
    join: tuple = ()
    limit: int | None = None
    on_bad_rows: str = "error"
    generate: dict | None = None
    streaming: bool = False

    @property
    def table_path(self):
        return Path(self.root) / self.table

    @classmethod
    def from_dict(cls, raw, spec_dir, data_root=None):
        field = "data"
        fields.check_keys(raw, _KEYS, field)
        table = fields.get(raw, "table", field, "str")
        streaming = fields.get(raw, "streaming", field, "bool", False)
        if streaming:
            from keras_multimodal.specs.streaming_checks import check_streaming_data

            check_streaming_data(raw, table)
        elif not table.lower().endswith(_TABLE_SUFFIXES):
            raise SpecError("data.table", f"expected a .csv, .parquet or .jsonl file, found {table!r} (a folder or glob of shards needs data.streaming: true)")
        if data_root is not None:
            root = expand(str(data_root), "--data-root")
        else:
            root = expand(fields.get(raw, "root", field, "str", "."), "data.root")
        root_path = Path(root)
        if not root_path.is_absolute():
            base = Path.cwd() if data_root is not None else Path(spec_dir)
            root_path = base / root_path
        try:
            root_path = root_path.resolve()
        except (ValueError, OSError) as error:  # e.g. an embedded NUL character
            field = "--data-root" if data_root is not None else "data.root"
            raise SpecError(field, f"expected a folder path, found {root!r} ({error})") from None
        return cls(
            table=table,
            root=str(root_path),
            id=fields.get(raw, "id", field, "str", None),
            where=_filters(raw, "where"),
            exclude=_filters(raw, "exclude"),
            na_values=tuple(fields.values(raw, "na_values", field, [], normalize=False)),
            join=_joins(raw),
            limit=fields.get(raw, "limit", field, "int", None, minimum=1),
            on_bad_rows=fields.choice(raw, "on_bad_rows", field, ("error", "skip"), "error"),
            generate=_generate(raw),
            streaming=streaming,
        )


def expand(text, field):
    """Expand ${VAR} and ${VAR:-default} and a leading ~; an unset VAR without default is an error."""

    def substitute(match):
        name, default = match.group(1), match.group(3)
        if name in os.environ:
            return os.environ[name]
        if match.group(2) is not None:
            return default
        raise SpecError(field, f"environment variable ${{{name}}} is not set (use ${{{name}:-default}} for a fallback)")

    return os.path.expanduser(_ENV.sub(substitute, text))


def _filters(raw, key):
    value = fields.get(raw, key, "data", "dict", {})
    out = {}
    for column in value:
        values = fields.values(value, column, f"data.{key}", None)
        if not values:
            raise SpecError(f"data.{key}.{column}", "expected a non-empty list of values")
        out[str(column)] = tuple(values)
    return out


def _joins(raw):
    joins = []
    for i, item in enumerate(fields.get(raw, "join", "data", "list", [])):
        field = f"data.join[{i}]"
        fields.check_keys(item, {"table", "on"}, field)
        joins.append((fields.get(item, "table", field, "str"), tuple(fields.get(item, "on", field, "str_list"))))
    return tuple(joins)


def _generate(raw):
    value = fields.get(raw, "generate", "data", "dict", None)
    if value is None:
        return None
    field = "data.generate"
    fields.check_keys(value, {"name", "rows", "seed", "image_size"}, field)
    return {
        "name": fields.choice(value, "name", field, ("demo",)),
        "rows": fields.get(value, "rows", field, "int", 1200, minimum=50),
        "seed": fields.get(value, "seed", field, "int", 0),
        "image_size": fields.get(value, "image_size", field, "int", 64, minimum=16),
    }
