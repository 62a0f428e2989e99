"""Run report as Markdown (links plots) and self-contained HTML (embeds plots).

Both files are rendered from one list of blocks so they never disagree:
("h1"|"h2"|"p", text), ("table", headers, rows), ("ul", items), ("img", caption, path).
"""

from __future__ import annotations

import base64
import html
import numbers
from pathlib import Path

import pandas as pd

from keras_multimodal.atomic import write_text
from keras_multimodal.evaluation.metrics import lower_is_better, main_metric

_CLASSIFICATION_ROWS = ("auroc", "auprc", "f1_macro", "accuracy", "precision_macro",
                        "recall_macro", "brier", "n")
_REGRESSION_ROWS = ("rmse", "mae", "r2", "n")
_CAPTIONS = {"roc": "ROC curve", "pr": "Precision-recall curve", "residuals": "Residuals",
             "confusion_matrix": "Confusion matrix", "training_curves": "Training curves",
             "model_comparison": "Model comparison"}
_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#222}table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;
padding:.3rem .6rem;text-align:left}th{background:#f3f3f3}img{max-width:100%}
figure{margin:1rem 0}figcaption{color:#555;font-size:.9rem}"""


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return f"{float(value):.3f}"
    return str(value)


def _with_ci(split_metrics: dict, name: str) -> str:
    text = _fmt(split_metrics.get(name))
    ci = split_metrics.get(f"{name}_ci") or [None, None]
    if text != "n/a" and None not in ci:
        text += f" [{ci[0]:.3f}, {ci[1]:.3f}]"
    return text


def _dataset_blocks(summary: dict) -> list:
    blocks = [("h2", "Dataset summary")]
    facts = [f"{key}: {_fmt(summary[key])}" for key in ("task", "target", "model", "params",
                                                          "skipped_rows") if key in summary]
    if summary.get("classes"):
        facts.append("classes: " + ", ".join(str(c) for c in summary["classes"]))
    blocks.append(("ul", facts))
    rows = summary.get("rows") or {}
    if rows:
        blocks.append(("table", ["split", "rows"], [[s, _fmt(n)] for s, n in rows.items()]))
    balance = summary.get("class_balance") or {}
    if balance:
        splits = list(balance)
        classes = list(dict.fromkeys(c for counts in balance.values() for c in counts))
        blocks += [("p", "Class balance (rows per class):"), ("table", ["class"] + splits,
                   [[c] + [_fmt(balance[s].get(c, 0)) for s in splits] for c in classes])]
    missing = summary.get("missing") or {}
    if missing:
        splits = list(dict.fromkeys(s for fr in missing.values() for s in fr))
        rows_ = [[name] + [f"{100 * fr[s]:.1f}%" if fr.get(s) is not None else "n/a"
                           for s in splits] for name, fr in missing.items()]
        blocks += [("p", "Missing inputs (fraction of rows per modality):"),
                   ("table", ["input"] + splits, rows_)]
    return blocks


def _history_blocks(history: pd.DataFrame, plots: dict) -> list:
    blocks = [("h2", "Training curves")]
    facts = [f"epochs: {len(history)}"]
    if "val_loss" in history.columns and history["val_loss"].notna().any():
        best = history["val_loss"].idxmin()
        epoch = history.loc[best, "epoch"] if "epoch" in history.columns else best + 1
        facts.append(f"best val_loss: {history.loc[best, 'val_loss']:.4f} at epoch {epoch}")
    blocks.append(("ul", facts))
    if "training_curves" in plots:
        blocks.append(("img", "Training curves", plots["training_curves"]))
    return blocks


def _metrics_blocks(metrics: dict, task: str) -> list:
    names = _REGRESSION_ROWS if task == "regression" else _CLASSIFICATION_ROWS
    splits = [s for s in ("val", "test") if s in metrics]
    rows = [[name] + [_with_ci(metrics[s], name) for s in splits]
            for name in names if any(name in metrics[s] for s in splits)]
    blocks = [("h2", "Metrics"), ("p", "Values with 95% bootstrap confidence intervals."),
              ("table", ["metric"] + splits, rows)]
    if metrics.get("threshold") is not None:
        blocks.append(("p", f"Decision threshold {metrics['threshold']:.4f}, "
                            "chosen on the validation split to maximise F1."))
    per_class = (metrics.get("test") or {}).get("per_class") or {}
    if per_class:
        keys = ["precision", "recall", "f1", "support"]
        blocks += [("p", "Per class on test:"), ("table", ["class"] + keys,
                   [[c] + [_fmt(v.get(k)) for k in keys] for c, v in per_class.items()])]
    return blocks


def _main_value(m: dict, split: str, metric: str):
    return (m.get(split) or {}).get(metric)


def _baseline_blocks(baselines: dict, metrics: dict, task: str) -> list:
    metric = main_metric(task)
    entries = dict(baselines)
    fused = next((name for name in entries if name.lower().startswith("fused")), None)
    if fused is None:  # the run itself is the fused model
        fused = "fused (this run)"
        entries = {fused: metrics, **entries}
    sign = 1 if lower_is_better(metric) else -1
    ranked = sorted(entries.items(), key=lambda kv: (_main_value(kv[1], "test", metric) is None,
                    sign * (_main_value(kv[1], "test", metric) or 0)))
    rows = [[name, _with_ci(m.get("test") or {}, metric), _with_ci(m.get("val") or {}, metric)]
            for name, m in ranked]
    return [("h2", "Fused model vs. single-modality baselines"),
            ("table", ["model", f"test {metric} (95% CI)", f"val {metric} (95% CI)"], rows),
            ("p", _verdict(entries, fused, metric, sign))]


def _verdict(entries: dict, fused: str, metric: str, sign: int) -> str:
    mine = _main_value(entries[fused], "test", metric)
    others = {n: _main_value(m, "test", metric) for n, m in entries.items() if n != fused}
    others = {n: v for n, v in others.items() if v is not None}
    if mine is None or not others:
        return f"No comparison on test: {metric} is undefined for the fused model or baselines."
    best_name = min(others, key=lambda n: sign * others[n])
    beats = all(sign * mine < sign * v for v in others.values())
    verb = "beats" if beats else "does not beat"
    text = (f"On test, the fused model ({metric} {mine:.3f}) {verb} every single-modality "
            f"baseline (best single modality: {best_name}, {others[best_name]:.3f}).")
    mine_ci = (entries[fused].get("test") or {}).get(f"{metric}_ci") or [None, None]
    best_ci = (entries[best_name].get("test") or {}).get(f"{metric}_ci") or [None, None]
    overlap = None not in mine_ci + best_ci and (
        mine_ci[0] <= best_ci[1] and best_ci[0] <= mine_ci[1])
    if beats and overlap:
        text += " The 95% CIs overlap, so the margin may be noise."
    return text


def _caption(key: str) -> str:
    return _CAPTIONS.get(key, key.replace("_", " ").capitalize())


def _blocks(title, metrics, summary, baselines, plots, history, notes, sections=None) -> list:
    task = summary.get("task", "binary")
    blocks = [("h1", title)] + _dataset_blocks(summary)
    if history is not None and len(history):
        blocks += _history_blocks(history, plots)
    blocks += _metrics_blocks(metrics, task)
    if baselines:
        blocks += _baseline_blocks(baselines, metrics, task)
    blocks += list(sections or [])
    shown = {"training_curves"} if history is not None and len(history) else set()
    figures = [(k, p) for k, p in plots.items() if k not in shown]
    if figures:
        blocks += [("h2", "Plots")] + [("img", _caption(k), p) for k, p in figures]
    if notes:
        blocks += [("h2", "Notes"), ("ul", list(notes))]
    return blocks


def _md_text(text) -> str:
    # Pipes would split table cells and '<' would start raw HTML in renderers.
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "\\<").replace(
        "\n", " ")


def _to_markdown(blocks) -> str:
    out = []
    for kind, *args in blocks:
        if kind in ("h1", "h2"):
            out.append(f"{'#' * int(kind[1])} {_md_text(args[0])}")
        elif kind == "p":
            out.append(_md_text(args[0]))
        elif kind == "ul":
            out.append("\n".join(f"- {_md_text(item)}" for item in args[0]))
        elif kind == "table":
            headers, rows = args
            lines = [headers, ["---"] * len(headers)] + rows
            out.append("\n".join("| " + " | ".join(_md_text(c) for c in line) + " |"
                                 for line in lines))
        elif kind == "pre":
            out.append("```\n" + str(args[0]).rstrip("\n").replace("```", "'''") + "\n```")
        elif kind == "img":
            out.append(f"![{_md_text(args[0])}]({Path(args[1]).as_posix()})")
    return "\n\n".join(out) + "\n"


def _data_uri(run_dir: Path, rel) -> str | None:
    path = run_dir / rel
    if not path.is_file():
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _to_html(blocks, run_dir: Path, title: str) -> str:
    e = html.escape
    body = []
    for kind, *args in blocks:
        if kind in ("h1", "h2", "p"):
            body.append(f"<{kind}>{e(str(args[0]))}</{kind}>")
        elif kind == "ul":
            body.append("<ul>" + "".join(f"<li>{e(str(i))}</li>" for i in args[0]) + "</ul>")
        elif kind == "table":
            head = "".join(f"<th>{e(str(h))}</th>" for h in args[0])
            rows = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>"
                           for row in args[1])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif kind == "pre":
            body.append(f"<pre>{e(str(args[0]))}</pre>")
        elif kind == "img":
            uri = _data_uri(run_dir, args[1])
            img = (f'<img src="{uri}" alt="{e(args[0])}">' if uri
                   else f"<p>(plot missing: {e(str(args[1]))})</p>")
            body.append(f"<figure>{img}<figcaption>{e(args[0])}</figcaption></figure>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{e(title)}</title><style>{_CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def write_report(run_dir, *, title: str, metrics: dict, summary: dict, baselines: dict | None,
                 plots: dict[str, str], history: pd.DataFrame | None,
                 notes: list[str] | None = None, sections: list | None = None) -> tuple[Path, Path]:
    """Write run_dir/report.md and run_dir/report.html; return their paths.

    `sections` are extra blocks placed after the metrics (see `report_sections`).
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    blocks = _blocks(title, metrics, summary, baselines, plots or {}, history, notes, sections)
    md_path, html_path = run_dir / "report.md", run_dir / "report.html"
    # Readers (a browser, a watcher) never see a half-written report.
    write_text(md_path, _to_markdown(blocks))
    write_text(html_path, _to_html(blocks, run_dir, title))
    return md_path, html_path
