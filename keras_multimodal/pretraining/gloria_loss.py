"""`GLoRIALoss`: the weighted global + local contrastive objective."""

import keras
from keras import ops

from keras_multimodal.pretraining import contrastive


@keras.saving.register_keras_serializable(package="keras_multimodal")
class GLoRIALoss(keras.layers.Layer):
    """Global (image vs report) plus local (region vs word) contrastive loss.

    total = local_weight * L_local + global_weight * L_global, where
    L_global is symmetric InfoNCE on cosines scaled by `tau3`, and L_local
    is the same cross-entropy on tau3 * Z, Z the word-to-region similarity
    of GLoRIA (words attend over regions with sharpness `tau1`, their
    cosines with the attended contexts are aggregated with `tau2`). The
    defaults reproduce GLoRIA's code (tau1 = 4, tau2 = 5, tau3 = 10, both
    weights 1, directions summed, double softmax, sum aggregation).

    Args:
        local_weight: float. Weight of the local loss; 0 skips it. Defaults to 1.
        global_weight: float. Weight of the global loss. Defaults to 1.
        tau1: float. Attention sharpening over regions. Defaults to 4.
        tau2: float. Word aggregation sharpness. Defaults to 5.
        tau3: float. Logit scale of both losses. Defaults to 10.
        normalization: `"gloria"` or `"softmax"` (see
            `contrastive.word_region_attention`). Defaults to `"gloria"`.
        aggregation: `"sum"`, `"mean"` or `"max"` over words. Defaults to `"sum"`.
        directions: `"sum"` (GLoRIA) or `"mean"` (CLIP) of the two
            cross-entropies. Defaults to `"sum"`.
        text_chunk_size: int. Captions per chunk of the local loss (memory
            is proportional to it); 0 = all at once. Defaults to 8.

    Call arguments:
        inputs: dict with `image_global` (Bi, D), `text_global` (Bt, D),
            `regions` (Bi, M, D), `words` (Bt, T, D), `word_mask` (Bt, T).

    Returns:
        dict of scalars: `loss`, `global_loss`, `local_loss`.
    """

    def __init__(
        self,
        local_weight=1.0,
        global_weight=1.0,
        tau1=4.0,
        tau2=5.0,
        tau3=10.0,
        normalization="gloria",
        aggregation="sum",
        directions="sum",
        text_chunk_size=8,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.local_weight = float(local_weight)
        self.global_weight = float(global_weight)
        self.tau1 = float(tau1)
        self.tau2 = float(tau2)
        self.tau3 = float(tau3)
        self.normalization = contrastive.check_choice("normalization", normalization, contrastive.NORMALIZATIONS)
        self.aggregation = contrastive.check_choice("aggregation", aggregation, contrastive.AGGREGATIONS)
        self.directions = contrastive.check_choice("directions", directions, contrastive.DIRECTIONS)
        self.text_chunk_size = int(text_chunk_size or 0)

    def local_similarity(self, inputs):
        """Z (Bi, Bt) for every image and caption of the batch."""
        return contrastive.local_similarity_matrix(
            inputs["words"],
            inputs["word_mask"],
            inputs["regions"],
            tau1=self.tau1,
            tau2=self.tau2,
            normalization=self.normalization,
            aggregation=self.aggregation,
            chunk_size=self.text_chunk_size,
        )

    def call(self, inputs):
        global_loss = contrastive.global_contrastive_loss(
            inputs["image_global"], inputs["text_global"], self.tau3, self.directions
        )
        local_loss = ops.zeros((), "float32")
        if self.local_weight:
            local_loss = contrastive.local_contrastive_loss(self.local_similarity(inputs), self.tau3, self.directions)
        total = self.local_weight * local_loss + self.global_weight * global_loss
        return {"loss": total, "global_loss": global_loss, "local_loss": local_loss}

    def get_config(self):
        config = super().get_config()
        config.update(
            local_weight=self.local_weight,
            global_weight=self.global_weight,
            tau1=self.tau1,
            tau2=self.tau2,
            tau3=self.tau3,
            normalization=self.normalization,
            aggregation=self.aggregation,
            directions=self.directions,
            text_chunk_size=self.text_chunk_size,
        )
        return config
