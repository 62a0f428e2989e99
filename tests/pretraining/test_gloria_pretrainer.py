"""The dual encoder: gradients reach both encoders, .keras round trip, word-piece pooling, fit()."""

import numpy as np
import pytest

from keras_multimodal.pretraining import synthetic_pairs as sp


def make_model(local_weight=1.0, global_weight=1.0, chunk=2):
    from keras_multimodal.encoders import get_encoder
    from keras_multimodal.pretraining import GLoRIALoss
    from keras_multimodal.pretraining import GLoRIAPretrainer

    image = get_encoder("cnn", filters=(8, 8), output_dim=8, dropout=0.0)
    text = get_encoder("lstm", vocabulary_size=len(sp.vocabulary()), embedding_dim=8, units=8, dropout=0.0)
    loss = GLoRIALoss(local_weight=local_weight, global_weight=global_weight, text_chunk_size=chunk)
    model = GLoRIAPretrainer(image, text, embedding_dim=8, loss=loss)
    model.build({"image": (None, 16, 16, 3), "text": (None, 8)})
    return model


@pytest.fixture(scope="module")
def batch():
    pairs = sp.make_synthetic_pairs(4, seed=0, grid=2)
    return {"image": pairs.images, "text": sp.token_ids(pairs.texts)}


@pytest.mark.parametrize("weights", [(1.0, 0.0), (0.0, 1.0)])
def test_global_and_local_losses_each_reach_both_encoders(batch, weights):
    import tensorflow as tf

    model = make_model(*weights)
    with tf.GradientTape(persistent=True) as tape:
        loss = model.compute_loss(batch, y_pred=model(batch, training=True))
    for encoder in (model.image_encoder, model.text_encoder):
        gradients = tape.gradient(loss, encoder.trainable_weights)
        norms = [float(tf.norm(g)) for g in gradients if g is not None]
        assert norms and all(np.isfinite(norms)) and max(norms) > 0, (encoder.name, weights)


def test_padded_word_positions_get_no_gradient(batch):
    import tensorflow as tf

    model = make_model(1.0, 0.0)
    out = model(batch)
    words = tf.Variable(out["words"])
    with tf.GradientTape() as tape:
        parts = model.contrastive_loss({**out, "words": words})
    gradient = tape.gradient(parts["loss"], words).numpy()
    padded = np.asarray(out["word_mask"]) == 0
    assert padded.any() and np.all(gradient[padded] == 0) and np.abs(gradient[~padded]).max() > 0


def test_pretrainer_round_trips_keras_file(tmp_path, batch):
    import keras

    model = make_model()
    path = tmp_path / "pretrainer.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    for key, value in model(batch).items():
        np.testing.assert_allclose(np.asarray(loaded(batch)[key]), np.asarray(value), atol=1e-6)
    assert loaded.contrastive_loss.get_config() == model.contrastive_loss.get_config()


def test_fit_lowers_the_loss_on_a_fixed_batch(batch):
    import keras

    keras.utils.set_random_seed(0)
    model = make_model()
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(batch, batch_size=4, epochs=8, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert {"global_loss", "local_loss"} <= set(history.history)


def test_word_piece_pooling_sums_pieces_and_drops_sep():
    import keras

    from keras_multimodal.pretraining import WordPiecePooling

    vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "play", "##ing", "##s", "ball"]
    layer = WordPiecePooling.from_vocabulary(vocabulary)
    ids = np.array([[2, 4, 5, 7, 6, 3, 0, 0]])  # [CLS] play ##ing ball ##s [SEP]
    tokens = np.arange(1, 9, dtype="float32")[None, :, None] * np.ones((1, 1, 2), "float32")
    mask = (ids != 0).astype("float32")
    words, word_mask = layer(ids, tokens, mask)
    np.testing.assert_allclose(np.asarray(words)[0, :3, 0], [1.0, 2 + 3, 4 + 5])
    np.testing.assert_allclose(np.asarray(words)[0, 3:, 0], 0.0)
    np.testing.assert_array_equal(np.asarray(word_mask)[0], [1, 1, 1, 0, 0, 0, 0, 0])
    again = keras.layers.deserialize(keras.layers.serialize(layer))
    assert again.get_config() == layer.get_config()
