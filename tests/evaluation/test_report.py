import base64
import functools
import json
import re

import numpy as np
import pandas as pd
import pytest

from keras_multimodal.evaluation import compute_metrics, plot_roc, write_report

EVIL = "<script>alert(1)</script>"


def _predictions(seed, signal, n=400):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    split = rng.choice(["train", "val", "test"], n)
    score = np.clip(signal * y + (1 - signal) * rng.random(n), 0, 1)
    return pd.DataFrame({"row_id": [str(i) for i in range(n)], "split": split,
                         "y_true": y, "score": score})


@functools.lru_cache(maxsize=None)  # reports only read metrics, so sharing is safe
def _metrics(seed, signal):
    return compute_metrics(_predictions(seed, signal), "binary", ["neg", EVIL], n_boot=200)[0]


@pytest.fixture
def run(tmp_path):
    fused = _metrics(0, 0.35)
    (tmp_path / "plots").mkdir()
    y = np.r_[np.zeros(20), np.ones(20)]
    plot_roc({"test": (y, np.linspace(0, 1, 40))}, tmp_path / "plots" / "roc.png")
    summary = {"task": "binary", "target": "outcome", "classes": ["neg", EVIL],
               "rows": {"train": 160, "val": 120, "test": 120},
               "class_balance": {"train": {"neg": 80, EVIL: 80}, "test": {"neg": 60, EVIL: 60}},
               "missing": {"xray": {"train": 0.1, "val": 0.0, "test": 0.25}},
               "skipped_rows": 3, "model": "fusion=concat, encoders=xray:cnn", "params": 123456}
    history = pd.DataFrame({"epoch": [1, 2, 3], "loss": [0.9, 0.6, 0.5],
                            "val_loss": [1.0, 0.7, 0.8]})
    kwargs = dict(title=f"Run {EVIL}", metrics=fused, summary=summary,
                  baselines={"fused (concat)": fused, "image only (xray)": _metrics(1, 0.2),
                             "tabular only (labs)": _metrics(2, 0.1)},
                  plots={"roc": "plots/roc.png"}, history=history,
                  notes=["threshold chosen on val", f"note {EVIL}"])
    return tmp_path, kwargs


def test_writes_both_files_atomically(run):
    run_dir, kwargs = run
    md, html = write_report(run_dir, **kwargs)
    assert md == run_dir / "report.md" and html == run_dir / "report.html"
    assert md.stat().st_size > 0 and html.stat().st_size > 0
    assert not [p for p in run_dir.iterdir() if p.name.endswith(".tmp")]
    write_report(run_dir, **kwargs)  # overwriting an existing report works


def test_html_embeds_plots_and_escapes_user_text(run):
    run_dir, kwargs = run
    _, html_path = write_report(run_dir, **kwargs)
    text = html_path.read_text(encoding="utf-8")
    assert "data:image/png;base64," in text
    encoded = text.split("data:image/png;base64,")[1].split('"')[0]
    assert base64.b64decode(encoded) == (run_dir / "plots" / "roc.png").read_bytes()
    assert "plots/roc.png" not in text  # self-contained: no file references
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_markdown_links_plots_and_sections_in_order(run):
    run_dir, kwargs = run
    md_path, _ = write_report(run_dir, **kwargs)
    text = md_path.read_text(encoding="utf-8")
    assert "](plots/roc.png)" in text
    assert "\\<script>" in text and not re.search(r"(?<!\\)<script", text)
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings[0].startswith("# Run")
    order = ["## Dataset summary", "## Training curves", "## Metrics",
             "## Fused model vs. single-modality baselines", "## Plots", "## Notes"]
    assert headings[1:] == order
    assert "10.0%" in text and "25.0%" in text  # missingness per modality
    assert "123,456" in text


def test_metrics_table_shows_val_and_test_with_ci(run):
    run_dir, kwargs = run
    md_path, _ = write_report(run_dir, **kwargs)
    text = md_path.read_text(encoding="utf-8")
    m = kwargs["metrics"]
    lo, hi = m["test"]["auroc_ci"]
    assert f"{m['test']['auroc']:.3f} [{lo:.3f}, {hi:.3f}]" in text
    assert f"{m['val']['auroc']:.3f}" in text
    assert f"{m['threshold']:.4f}" in text


def test_baselines_best_first_and_verdict(run):
    run_dir, kwargs = run
    text = write_report(run_dir, **kwargs)[0].read_text(encoding="utf-8")
    section = text.split("## Fused model vs. single-modality baselines")[1].split("## Plots")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    names = [row.split("|")[1].strip() for row in rows[1:]]
    aurocs = {n: m["test"]["auroc"] for n, m in kwargs["baselines"].items()}
    assert names == sorted(aurocs, key=aurocs.get, reverse=True)
    assert "beats every single-modality baseline" in section
    assert "does not beat" not in section
    assert "CIs overlap" in section  # fused 0.84 [0.78, 0.90] vs image 0.77 [0.68, 0.85]

    weak = dict(kwargs["baselines"], **{"fused (concat)": _metrics(3, 0.05)})
    text = write_report(run_dir, **dict(kwargs, baselines=weak))[0].read_text(encoding="utf-8")
    assert "does not beat every single-modality baseline" in text


def test_regression_sorts_lower_rmse_first(tmp_path):
    def reg(noise, seed):
        rng = np.random.default_rng(seed)
        y = rng.normal(size=300)
        df = pd.DataFrame({"row_id": [str(i) for i in range(300)],
                           "split": rng.choice(["val", "test"], 300), "y_true": y,
                           "y_pred": y + rng.normal(scale=noise, size=300)})
        return compute_metrics(df, "regression", None, n_boot=200)[0]

    good, bad = reg(0.2, 0), reg(1.0, 1)
    md, html = write_report(tmp_path, title="reg", metrics=good, summary={"task": "regression"},
                            baselines={"text only": bad, "fused": good}, plots={},
                            history=None)
    text = md.read_text(encoding="utf-8")
    assert text.index("| fused |") < text.index("| text only |")
    assert "beats every single-modality baseline" in text
    assert "## Training curves" not in text and "## Plots" not in text
    assert "rmse" in text and "auroc" not in text


def test_missing_plot_and_no_baselines_do_not_crash(tmp_path):
    metrics = _metrics(0, 0.5)
    json.dumps(metrics)
    md, html = write_report(tmp_path / "new_run", title="t", metrics=metrics,
                            summary={"task": "binary"}, baselines=None,
                            plots={"pr": "plots/missing.png"}, history=None)
    assert "plot missing" in html.read_text(encoding="utf-8")
    assert "baselines" not in md.read_text(encoding="utf-8")
