"""GLoRIA-style image-text contrastive pretraining, zero-shot classification and retrieval."""

from keras_multimodal.pretraining.contrastive import global_contrastive_loss
from keras_multimodal.pretraining.contrastive import local_contrastive_loss
from keras_multimodal.pretraining.contrastive import local_similarity
from keras_multimodal.pretraining.contrastive import local_similarity_matrix
from keras_multimodal.pretraining.contrastive import word_region_attention
from keras_multimodal.pretraining.gloria_loss import GLoRIALoss
from keras_multimodal.pretraining.gloria_pretrainer import GLoRIAPretrainer
from keras_multimodal.pretraining.retrieval import encode_images
from keras_multimodal.pretraining.retrieval import encode_texts
from keras_multimodal.pretraining.retrieval import precision_at_k
from keras_multimodal.pretraining.retrieval import recall_at_k
from keras_multimodal.pretraining.retrieval import retrieval_metrics
from keras_multimodal.pretraining.retrieval import similarity_matrix
from keras_multimodal.pretraining.word_piece_pooling import WordPiecePooling
from keras_multimodal.pretraining.zero_shot import zero_shot_scores

__all__ = [
    "GLoRIALoss",
    "GLoRIAPretrainer",
    "WordPiecePooling",
    "encode_images",
    "encode_texts",
    "global_contrastive_loss",
    "local_contrastive_loss",
    "local_similarity",
    "local_similarity_matrix",
    "precision_at_k",
    "recall_at_k",
    "retrieval_metrics",
    "similarity_matrix",
    "word_region_attention",
    "zero_shot_scores",
]
