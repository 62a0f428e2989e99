"""`kmm pretrain` on a tiny synthetic table: spec rules, kill-and-resume, `from_pretrained` in a normal spec."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from keras_multimodal.errors import SpecError
from keras_multimodal.pretraining import synthetic_pairs as sp
from keras_multimodal.training.run_progress import RunProgress

SPEC = {
    "name": "tiny_pairs",
    "data": {"table": "pairs.csv", "id": "pair_id"},
    "split": {"test": 0.25, "val": 0.25, "seed": 1},
    "inputs": {
        "image": {"type": "image", "column": "image_file", "path_template": "images/{}", "size": [16, 16], "channels": 3},
        "report": {"type": "text", "column": "report", "sequence_length": 6},
    },
    "model": {"encoders": {"image": {"name": "cnn", "filters": [8, 8], "output_dim": 8}, "report": {"name": "lstm", "units": 8}}},
    "training": {"epochs": 3, "batch_size": 16, "seed": 0, "patience": 0},
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pairs")
    sp.write_synthetic_pairs(folder, 64, seed=0, grid=2)
    return folder


def write_spec(folder, raw, name="spec.yaml"):
    (folder / name).write_text(yaml.safe_dump(raw, sort_keys=False))
    return folder / name


def test_pretrain_spec_rules(folder):
    from keras_multimodal.commands.pretrain import load_pretrain_spec
    from keras_multimodal.specs import load_spec

    spec = load_pretrain_spec(write_spec(folder, SPEC))  # no target, no pretrain section
    assert spec.target is None and (spec.pretrain.image, spec.pretrain.text) == ("image", "report")
    from keras_multimodal.validation import validate

    with pytest.raises(SpecError, match="only be pretrained"):
        validate(spec)  # training, validating, comparing all need the target
    with pytest.raises(SpecError, match="target"):
        load_spec(write_spec(folder, SPEC, "no_target.yaml"))  # `kmm train` still needs a target
    two_images = {**SPEC, "inputs": {**SPEC["inputs"], "other": dict(SPEC["inputs"]["image"])}}
    with pytest.raises(SpecError, match="pretrain.image"):
        load_pretrain_spec(write_spec(folder, two_images, "two.yaml"))
    named = {**two_images, "pretrain": {"image": "other", "tau1": 2.0}}
    assert load_pretrain_spec(write_spec(folder, named, "named.yaml")).pretrain.image == "other"
    with pytest.raises(SpecError, match="pretrain.text"):
        load_pretrain_spec(write_spec(folder, {**SPEC, "pretrain": {"text": "image"}}, "bad.yaml"))
    with pytest.raises(SpecError, match="zero_shot"):
        load_pretrain_spec(write_spec(folder, {**SPEC, "zero_shot": {"a": []}}, "zs.yaml"))
    with pytest.raises(SpecError, match="from_pretrained"):
        bad = {**SPEC, "model": {"encoders": {"image": {"from_pretrained": str(folder)}}}}
        load_pretrain_spec(write_spec(folder, bad, "fp.yaml"))


def test_killed_pretraining_resumes_and_its_encoder_feeds_a_normal_spec(folder, tmp_path, monkeypatch):
    from keras_multimodal.cli import main
    from keras_multimodal.models.builder import build_model
    from keras_multimodal.specs import Spec
    from keras_multimodal.training.data_setup import prepare_data

    spec_path = write_spec(folder, SPEC, "resume.yaml")
    out = tmp_path / "run"
    original = RunProgress.on_epoch_end

    def crash_after_epoch_one(self, epoch, logs=None):
        original(self, epoch, logs)
        if epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(RunProgress, "on_epoch_end", crash_after_epoch_one)
    assert main(["pretrain", str(spec_path), "--out", str(out), "--quiet"]) == 130
    assert json.loads((out / "run.json").read_text())["status"] == "running"
    monkeypatch.setattr(RunProgress, "on_epoch_end", original)
    assert main(["pretrain", str(spec_path), "--out", str(out), "--quiet"]) == 0
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "finished" and info["attempts"] == 2
    assert pd.read_csv(out / "history.csv")["epoch"].tolist() == [0, 1, 2]
    # The same command once more (a kill that landed after the finish): a no-op, not an error.
    assert main(["pretrain", str(spec_path), "--out", str(out), "--quiet"]) == 0
    assert json.loads((out / "run.json").read_text()) == info

    raw = {
        **SPEC,
        "name": "tiny_finetune",
        "target": {"column": "finding", "task": "multiclass"},
        "model": {"encoders": {"image": {"from_pretrained": str(out), "freeze": True}, "report": {"from_pretrained": str(out)}}},
    }
    spec = Spec.from_dict(raw, spec_dir=folder)
    assert spec.model.encoders["image"].name == "cnn" and spec.model.encoders["report"].name == "lstm"
    prepared = prepare_data(spec)
    pretrained_vocabulary = json.loads((out / "preprocessing.json").read_text())["report"]["vocabulary"]
    assert prepared.preprocessor["report"]["vocabulary"] == pretrained_vocabulary
    model = build_model(spec, prepared.preprocessor)
    import keras

    source = keras.saving.load_model(out / "encoders" / "image.keras").layers[-1]
    encoder = model.get_layer("image_encoder")
    assert not encoder.trainable and model.get_layer("report_encoder").trainable
    for a, b in zip(encoder.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(a, b)
    # The finished run's spec.yaml names the encoders and the absolute run directory, so it
    # still parses (for `kmm predict`) from another folder or after the pretraining run is gone.
    assert spec.raw["model"]["encoders"]["image"] == {"name": "cnn", "from_pretrained": str(out.resolve()), "freeze": True}
    out.rename(tmp_path / "moved")
    again = Spec.from_dict(spec.raw, spec_dir=folder)
    assert again.model.encoders == spec.model.encoders
