"""Spec -> `GLoRIAPretrainer`: the one place where the `pretrain:` section becomes constructor arguments."""

import keras

from keras_multimodal.models.builder import _encoder
from keras_multimodal.pretraining.gloria_loss import GLoRIALoss
from keras_multimodal.pretraining.gloria_pretrainer import GLoRIAPretrainer
from keras_multimodal.pretraining.word_piece_pooling import WordPiecePooling


def build_pretrainer(spec, preprocessor):
    """The dual encoder for a pretraining spec, encoders chosen in `model.encoders` as for training."""
    config = spec.pretrain
    sizes = preprocessor.sizes()
    image, text = config.image, config.text
    loss = GLoRIALoss(
        local_weight=config.local_weight,
        global_weight=config.global_weight,
        tau1=config.tau1,
        tau2=config.tau2,
        tau3=config.tau3,
        normalization=config.normalization,
        aggregation=config.aggregation,
        text_chunk_size=config.text_chunk_size,
        name="gloria_loss",
    )
    entry = preprocessor[text]
    word_pieces = None
    if entry.get("tokenizer") == "wordpiece":
        word_pieces = WordPiecePooling.from_vocabulary(entry["vocabulary"], name="word_pieces")
    model = GLoRIAPretrainer(
        image_encoder=_encoder(spec, image, sizes[image]),
        text_encoder=_encoder(spec, text, sizes[text]),
        image_input=image,
        text_input=text,
        embedding_dim=config.embedding_dim,
        loss=loss,
        word_pieces=word_pieces,
        name=f"{spec.name}_pretrainer",
    )
    model.build(input_shapes(spec, preprocessor))
    return model


def input_shapes(spec, preprocessor):
    """{image input: (None, H, W, C), text input: (None, T)} as the data pipeline feeds them."""
    image, text = spec.pretrain.image, spec.pretrain.text
    height, width = preprocessor[image]["size"]
    return {image: (None, height, width, preprocessor[image]["channels"]), text: (None, preprocessor[text]["sequence_length"])}


def compile_pretrainer(model, training):
    optimizer = keras.optimizers.get(training.optimizer)  # the spec's names are Keras's own
    optimizer.learning_rate = training.learning_rate
    model.compile(optimizer=optimizer)
    return model
