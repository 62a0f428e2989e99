"""A spec written for a new image + tabular dataset trains with no code changes."""

import numpy as np
import pandas as pd
import yaml
from PIL import Image

import keras_multimodal as kmm
from keras_multimodal.cli import main


def write_dataset(folder, n=90):
    rng = np.random.default_rng(3)
    (folder / "pics").mkdir(parents=True)
    rows = []
    for i in range(n):
        label = int(i % 3 == 0)
        pixels = rng.integers(0, 80, (20, 24, 3), dtype=np.uint8) + (120 if label else 0)
        Image.fromarray(pixels.astype(np.uint8)).save(folder / "pics" / f"{i}.jpg")
        fold = "test" if i % 5 == 0 else "val" if i % 5 == 1 else "train"
        rows.append({"pic": f"{i}" if i % 17 else "", "size_cm": rng.normal(10 + 3 * label), "color": "red" if label else "blue", "fold": fold, "broken": "yes" if label else "no"})
    pd.DataFrame(rows).to_csv(folder / "items.csv", index=False)
    spec = {
        "name": "items",
        "data": {"table": "items.csv"},
        "target": {"column": "broken", "task": "binary", "positive": ["yes"]},
        "split": {"column": "fold"},
        "inputs": {
            "photo": {"type": "image", "column": "pic", "path_template": "pics/{}.jpg", "size": [16, 16]},
            "facts": {"type": "tabular", "numeric": ["size_cm"], "categorical": ["color"]},
        },
        "training": {"epochs": 2, "baselines": False},
    }
    (folder / "items.yaml").write_text(yaml.safe_dump(spec))
    return folder / "items.yaml"


def test_image_tabular_spec_with_column_split_trains_from_the_cli(tmp_path, capsys):
    spec_path = write_dataset(tmp_path / "data")
    out = tmp_path / "run"
    assert main(["train", str(spec_path), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[-1] == str(out)
    predictions = pd.read_csv(out / "predictions.csv")
    table = pd.read_csv(tmp_path / "data" / "items.csv")
    assert predictions["split"].tolist() == table["fold"].tolist()
    assert kmm.Run.load(out).metrics["test"]["n"] == (table["fold"] == "test").sum()


def test_misspelt_column_exits_2_naming_it(tmp_path, capsys):
    spec_path = write_dataset(tmp_path / "data")
    text = spec_path.read_text().replace("size_cm", "size_mm")
    spec_path.write_text(text)
    assert main(["train", str(spec_path), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "size_mm" in err and "Traceback" not in err
