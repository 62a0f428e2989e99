"""The data of a pretraining spec: image-text pairs, their split, labelled rows for zero-shot."""

import dataclasses

import numpy as np

from keras_multimodal.data.preprocessor import Preprocessor
from keras_multimodal.data.split import assign_splits
from keras_multimodal.data.table import load_table
from keras_multimodal.errors import DataError
from keras_multimodal.specs.target_spec import TargetSpec

# Pairs carry no label: split them like a regression target (not stratified).
_UNLABELLED = TargetSpec(task="regression", column="__no_target__")


@dataclasses.dataclass
class PairData:
    """`pairs`: rows with both image and text, split; `labelled`: the target's rows among them (or None)."""

    spec: object  # the spec restricted to the two paired inputs
    pairs: object
    labelled: object
    preprocessor: Preprocessor

    @property
    def hash(self):
        from keras_multimodal.training.data_setup import data_hash

        return data_hash(self.pairs)


def pair_spec(spec):
    """The spec with only the paired image and text inputs."""
    return spec.with_inputs([spec.pretrain.image, spec.pretrain.text])


def prepare_pairs(spec, preprocessor=None):
    """Load every row where both inputs are present (labelled or not), split, fit preprocessing on train."""
    paired = pair_spec(spec)
    unlabelled = dataclasses.replace(paired, target=_UNLABELLED)
    pairs = load_table(unlabelled, with_target=False)
    both = pairs.present(paired.inputs[spec.pretrain.image]) & pairs.present(paired.inputs[spec.pretrain.text])
    pairs = pairs.subset(both)
    if len(pairs.frame) < 6:
        raise DataError(f"{len(pairs.frame)} rows hold both an image and a text; contrastive pretraining needs pairs", file=str(spec.data.table_path))
    assign_splits(pairs, spec.split, spec.data.table_path)
    if preprocessor is None:
        preprocessor = Preprocessor.fit(unlabelled, pairs.split("train"))
        preprocessor.state["__target__"] = {"classes": []}  # pretraining has no target to standardise
    labelled = _labelled(spec, paired, pairs) if spec.target is not None else None
    return PairData(spec=paired, pairs=pairs, labelled=labelled, preprocessor=preprocessor)


def _labelled(spec, paired, pairs):
    """The labelled pairs, each in the split its pair got (so zero-shot test rows were never trained on)."""
    data = load_table(paired, with_target=True)
    split = dict(zip(pairs.frame["row_id"], pairs.frame["split"]))
    data = data.subset(np.isin(data.frame["row_id"], list(split)))
    data.frame["split"] = data.frame["row_id"].map(split).to_numpy()
    return data
