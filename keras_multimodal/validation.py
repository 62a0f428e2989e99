"""`validate(spec)`: check a spec against its data without training (no TensorFlow)."""

from keras_multimodal.data.split import assign_splits
from keras_multimodal.data.table import load_table


def validate(spec):
    """Load, clean and split the data as training would; return a summary dict.

    Raises `DataError` naming the file, row and column of the first problem.
    """
    data = load_table(spec)
    assign_splits(data, spec.split, spec.data.table_path)
    splits = data.frame["split"]
    summary = {
        "spec": spec.source,
        "table": str(spec.data.table_path),
        "rows": int(len(data.frame)),
        "rows_per_split": {s: int((splits == s).sum()) for s in ("train", "val", "test")},
        "dropped_missing_target": data.dropped_missing_target,
        "skipped_rows": data.skipped_rows,
        "lacking": {name: int((~data.present(spec_input)).sum()) for name, spec_input in spec.inputs.items()},
        "warnings": list(data.warnings),
    }
    if spec.target.task in ("binary", "multiclass"):
        counts = {}
        for i, name in enumerate(data.classes):
            counts[name] = int((data.labels.astype(int) == i).sum())
        summary["target_counts"] = counts
    return summary


def format_summary(summary):
    lines = [f"spec {summary['spec']}: OK", f"table {summary['table']}: {summary['rows']} usable rows"]
    split = summary["rows_per_split"]
    lines.append(f"split: {split['train']} train, {split['val']} val, {split['test']} test")
    if "target_counts" in summary:
        lines.append("target: " + ", ".join(f"{k}={v}" for k, v in summary["target_counts"].items()))
    lines.append(f"dropped (no target): {summary['dropped_missing_target']}; skipped (broken): {summary['skipped_rows']}")
    lines.append("rows lacking each input: " + ", ".join(f"{k}={v}" for k, v in summary["lacking"].items()))
    lines += [f"warning: {w}" for w in summary["warnings"]]
    return "\n".join(lines)
