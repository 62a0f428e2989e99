"""The `bert` text encoder and its WordPiece preprocessing, on a tiny random preset (no 90 MB model)."""

import shutil
import time

import keras
import keras_hub
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import keras_multimodal as kmm
from keras_multimodal.data.feature_transform import FeatureTransform
from keras_multimodal.data.pipeline import make_dataset
from keras_multimodal.data.preprocessor import Preprocessor
from keras_multimodal.encoders import get_encoder
from keras_multimodal.encoders.registry import ENCODERS
from keras_multimodal.encoders.text_bert_encoder import resolve_preset
from keras_multimodal.errors import SpecError
from keras_multimodal.models.builder import build_model
from keras_multimodal.training.data_setup import prepare_data

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ["patient", "has", "no", "opacity", "the"] + [str(d) for d in range(10)] + [f"##{d}" for d in range(10)]
VOCABULARY = SPECIAL + WORDS + [f"filler{i}" for i in range(50 - len(SPECIAL) - len(WORDS))]
LENGTH = 12


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    """A keras-hub preset directory: a random 2-layer BertBackbone and a 50-token vocabulary."""
    directory = tmp_path_factory.mktemp("tiny_bert")
    keras.utils.set_random_seed(0)
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=50, num_layers=2, num_heads=2, hidden_dim=16, intermediate_dim=32, max_sequence_length=32
    )
    backbone.save_to_preset(str(directory))
    keras_hub.models.BertTokenizer(vocabulary=VOCABULARY, lowercase=True).save_to_preset(str(directory))
    return str(directory)


def ids(batch=4):
    out = np.random.default_rng(0).integers(5, 50, (batch, LENGTH)).astype("int32")
    out[:, 0] = 2  # [CLS]
    out[0] = 0  # absent text
    out[1, 4:] = 0
    return out


def encode(preset, training=False, **options):
    encoder = get_encoder("bert", **{"preset": preset, "dropout": 0.0, **options})
    encoder.build((None, LENGTH))
    return encoder, {k: np.asarray(v) for k, v in encoder(ids(), training=training).items()}


def test_the_encoder_runs_the_preset_backbone_with_padding_mask_and_zero_segments(preset):
    encoder, out = encode(preset, pooling="cls")
    reference = keras_hub.models.BertBackbone.from_preset(preset)
    x = ids()
    expected = np.asarray(reference({"token_ids": x, "segment_ids": 0 * x, "padding_mask": (x != 0).astype("int32")})["sequence_output"])
    mask = (x != 0).astype("float32")
    np.testing.assert_allclose(out["tokens"], expected * mask[..., None], atol=1e-5)
    np.testing.assert_allclose(out["pooled"], expected[:, 0] * mask[:, :1], atol=1e-5)
    np.testing.assert_array_equal(out["token_mask"], mask)
    assert encoder.output_dim == 16 and encoder.vocabulary_size == 50
    # Padding is not attended: dropping it changes no real token.
    short = np.asarray(encoder(x[1:2, :4])["tokens"])
    np.testing.assert_allclose(short[0], out["tokens"][1, :4], atol=1e-5)


def test_pooling_projection_dropout_and_l2_options(preset):
    _, mean = encode(preset, pooling="mean")
    _, cls = encode(preset, pooling="cls")
    mask = mean["token_mask"][..., None]
    np.testing.assert_allclose(mean["pooled"][1:], (mean["tokens"] * mask).sum(1)[1:] / mask.sum(1)[1:], atol=1e-5)
    assert not np.allclose(mean["pooled"][1:], cls["pooled"][1:])
    np.testing.assert_allclose(mean["pooled"][0], 0.0)
    projected, out = encode(preset, projection_dim=8)
    assert projected.output_dim == 8 and out["pooled"].shape == (4, 8) and out["tokens"].shape == (4, LENGTH, 8)
    encoder, plain = encode(preset, dropout=0.5)
    assert not np.allclose(np.asarray(encoder(ids(), training=True)["pooled"]), plain["pooled"])
    inputs = keras.Input((LENGTH,), dtype="int32")
    model = keras.Model(inputs, get_encoder("bert", preset=preset, projection_dim=8, l2=0.01)(inputs))
    assert len(model.losses) == 1 and float(model.losses[0]) > 0
    assert keras.Model(inputs, get_encoder("bert", preset=preset, projection_dim=8)(inputs)).losses == []


def test_trainable_and_freeze_layers(preset):
    count = lambda encoder: len(encoder.trainable_weights)  # noqa: E731
    tuned, _ = encode(preset)
    frozen, _ = encode(preset, trainable=False)
    partly, _ = encode(preset, freeze_layers=1)
    assert count(frozen) == 0 < count(partly) < count(tuned) == len(tuned.weights) - 2  # - the unused pooler
    assert all(not layer.trainable for layer in partly.backbone.transformer_layers[:1])
    assert partly.backbone.transformer_layers[1].trainable and not partly.backbone.get_layer("token_embedding").trainable
    # A frozen backbone is a fixed feature extractor: its own dropout is off in training too.
    x = ids()
    np.testing.assert_allclose(np.asarray(frozen(x, training=True)["pooled"]), np.asarray(frozen(x)["pooled"]), atol=1e-6)
    with pytest.raises(ValueError, match="freeze_layers"):
        get_encoder("bert", preset=preset, freeze_layers=3)


def test_keras_round_trip_needs_no_preset_directory(preset, tmp_path):
    copy = shutil.copytree(preset, tmp_path / "preset")
    inputs = keras.Input((LENGTH,), dtype="int32")
    encoder = get_encoder("bert", preset=str(copy), freeze_layers=1, projection_dim=8, pooling="cls")
    model = keras.Model(inputs, encoder(inputs))
    expected = {k: np.asarray(v) for k, v in model(ids()).items()}
    model.save(tmp_path / "m.keras")
    shutil.rmtree(copy)  # loading must not read the preset again
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    for key, value in loaded(ids()).items():
        np.testing.assert_allclose(np.asarray(value), expected[key], atol=1e-6)
    layer = loaded.get_layer(encoder.name)
    assert len(layer.trainable_weights) == len(encoder.trainable_weights) and layer.pooling == "cls"


def test_errors_name_the_problem(preset, tmp_path, tri_modal):
    spec = bert_spec(tri_modal, str(tmp_path / "missing"))
    with pytest.raises(SpecError, match="model.encoders.notes.preset: .*not a directory"):
        Preprocessor.fit(spec, tri_modal.split_table().split("train"))
    with pytest.raises(ValueError, match="not a directory"):
        get_encoder("bert", preset=str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="tokenised with 99 ids"):
        get_encoder("bert", preset=preset, vocabulary_size=99)
    with pytest.raises(ValueError, match="max_sequence_length 32"):
        get_encoder("bert", preset=preset).build((None, 40))
    with pytest.raises(ValueError, match="pooling"):
        get_encoder("bert", preset=preset, pooling="max")


def test_mixed_float16_gives_finite_outputs(preset):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        encoder, out = encode(preset, projection_dim=8)
        assert encoder.backbone.compute_dtype == "float16"
        for value in out.values():
            assert np.all(np.isfinite(value.astype("float32")))
    finally:
        keras.mixed_precision.set_global_policy("float32")


def bert_spec(tri_modal, preset, **options):
    encoder = {"name": "bert", "preset": preset, "pooling": "cls", **options}
    changes = {"inputs.notes.sequence_length": LENGTH, "model.encoders.notes": encoder, "training.baselines": False}
    return tri_modal.spec(changes)


def test_preprocessing_uses_the_preset_wordpiece_vocabulary(tri_modal, preset, tmp_path):
    spec = bert_spec(tri_modal, preset)
    pre = Preprocessor.fit(spec, tri_modal.split_table().split("train"))
    entry = pre["notes"]
    assert entry["tokenizer"] == "wordpiece" and entry["preset"] == resolve_preset(preset)
    assert entry["vocabulary"] == VOCABULARY and entry["lowercase"] is True
    assert pre.sizes()["notes"]["vocabulary_size"] == 50
    pre.save(tmp_path / "p.json")
    state = Preprocessor.load(tmp_path / "p.json").state
    transform = FeatureTransform(Preprocessor({"notes": state["notes"], "__target__": state["__target__"]}))
    texts = tf.constant(["Patient 12 has NO opacity", "", "  ", "the " * 20])
    out = transform.transform_batch({"notes": texts})
    index = {token: i for i, token in enumerate(VOCABULARY)}
    first = [index[t] for t in ["[CLS]", "patient", "1", "##2", "has", "no", "opacity", "[SEP]"]]
    np.testing.assert_array_equal(out["notes"].numpy()[0], first + [0] * (LENGTH - len(first)))
    np.testing.assert_array_equal(out["notes"].numpy()[1:3], 0)  # absent texts: all padding
    np.testing.assert_array_equal(out["notes"].numpy()[3], [2] + [index["the"]] * (LENGTH - 2) + [3])  # truncated
    np.testing.assert_array_equal(out["notes_present"].numpy()[:, 0], [1, 0, 0, 1])
    # Other text encoders keep the vocabulary fitted on the training split.
    lstm = Preprocessor.fit(tri_modal.spec(), tri_modal.split_table().split("train"))["notes"]
    assert "tokenizer" not in lstm and "patient" in lstm["vocabulary"]


def test_the_model_reads_wordpiece_ids_from_the_pipeline(tri_modal, preset):
    spec = bert_spec(tri_modal, preset, projection_dim=4)
    prepared = prepare_data(spec)
    model = build_model(spec, prepared.preprocessor)
    encoder = model.get_layer("notes_encoder")
    assert isinstance(encoder, ENCODERS.get_class("bert")) and encoder.output_dim == 4
    transform = FeatureTransform(prepared.preprocessor)
    inputs, _ = next(iter(make_dataset(prepared.data.split("train"), transform, 8)))
    assert inputs["notes"].shape == (8, LENGTH) and np.all(inputs["notes"].numpy()[:, 0] == 2)
    assert np.all(np.isfinite(model(inputs).numpy()))


@pytest.mark.slow
def test_a_bert_run_trains_reloads_and_serves(tri_modal, preset, tmp_path):
    started = time.perf_counter()
    spec = bert_spec(tri_modal, preset, freeze_layers=1)
    run = kmm.train(spec, out=tmp_path / "run", verbose=0, log=lambda *a: None)
    assert np.isfinite(run.metrics["test"]["auroc"])
    encoder = run.model.get_layer("notes_encoder")
    assert encoder.freeze_layers == 1 and encoder.vocabulary_size == 50
    rows = pd.read_csv(tri_modal.folder / "table.csv", keep_default_na=False, dtype=str).head(6)
    rows.loc[1, "note"] = ""  # an absent text
    expected = run.predict(rows)["score"].to_numpy()
    assert np.all(np.isfinite(expected))
    # The SavedModel tokenises with the stored WordPiece vocabulary (tensorflow_text ops, which
    # keras-hub has loaded here; a bare TensorFlow process must `import tensorflow_text` first).
    serve = tf.saved_model.load(str(run.path / "serving")).signatures["serving_default"]
    images = [(tri_modal.images / name).read_bytes() for name in rows["image_file"]]
    numbers = {c: tf.constant(rows[c].astype("float32").to_numpy()) for c in ("age", "temp")}
    texts = {c: tf.constant(rows[c].tolist()) for c in ("note", "sex")}
    served = serve(image_file=tf.constant(images), **texts, **numbers)
    np.testing.assert_allclose(served["score"].numpy(), expected, atol=1e-5)
    print(f"tiny BERT run: {time.perf_counter() - started:.1f} s")
