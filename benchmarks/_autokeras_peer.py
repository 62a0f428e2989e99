"""AutoKeras peer, run in a subprocess (a crash or hang must not take the benchmark down).

    python benchmarks/_autokeras_peer.py INPUT.npz OUTPUT.json --trials N --epochs N

INPUT.npz holds text_*, tab_* (float matrix, NaN filled) and y_* for train, val
and test. Writes {"scores": [...]} for test, or {"error": ...}. If the first
attempt fails (AutoKeras 3.0 builds a 1-unit softmax head for binary 0/1
labels), a work-around with string labels is tried and recorded as such.
"""

import json
import sys
import tempfile
import time
import traceback

import numpy as np


def _inputs(data, split):
    x = []
    if f"text_{split}" in data:
        x.append(data[f"text_{split}"].astype(str))
    if f"tab_{split}" in data:
        x.append(data[f"tab_{split}"].astype("float32"))
    return x


def _model(ak, data, trials, seed, directory):
    inputs = []
    if "text_train" in data:
        inputs.append(ak.TextInput())
    if "tab_train" in data:
        inputs.append(ak.StructuredDataInput())
    return ak.AutoModel(inputs=inputs, outputs=ak.ClassificationHead(), max_trials=trials, overwrite=True,
                        directory=directory, seed=seed)


def _positive_scores(probabilities):
    probabilities = np.asarray(probabilities, dtype="float64")
    if probabilities.ndim == 2 and probabilities.shape[1] == 2:
        return probabilities[:, 1]
    return probabilities.reshape(-1)


def _patch_head(ak):
    original = ak.ClassificationHead.build

    def build(self, hp, inputs=None):
        self.shape = tuple(int(d) for d in self.shape)
        return original(self, hp, inputs)

    ak.ClassificationHead.build = build


def attempt(data, trials, epochs, seed, work_around):
    import autokeras as ak

    if work_around:
        _patch_head(ak)
    y = {s: data[f"y_{s}"] for s in ("train", "val")}
    directory = tempfile.mkdtemp(prefix="kmm-autokeras-")
    model = _model(ak, data, trials, seed, directory)
    model.fit(_inputs(data, "train"), y["train"], validation_data=(_inputs(data, "val"), y["val"]), epochs=epochs, verbose=0)
    # AutoModel.predict returns class labels, and the exported Keras model rejects
    # NumPy string arrays ("Invalid dtype: str..."): run AutoModel.predict's
    # steps without its final label post-processing to get probabilities.
    from autokeras.utils import utils as ak_utils

    dataset = model.tuner.get_best_pipeline().transform_x(model._adapt(_inputs(data, "test"), model.inputs))
    probabilities = ak_utils.predict_with_adaptive_batch_size(model=model.tuner.get_best_model(), batch_size=32, x=dataset, verbose=0)
    return _positive_scores(probabilities)


def main(argv):
    source, target = argv[0], argv[1]
    trials = int(argv[argv.index("--trials") + 1]) if "--trials" in argv else 1
    epochs = int(argv[argv.index("--epochs") + 1]) if "--epochs" in argv else 10
    data = dict(np.load(source, allow_pickle=True))
    result = {"attempts": []}
    for work_around in (False, True):
        start = time.perf_counter()
        try:
            scores = attempt(data, trials, epochs, 0, work_around)
            if not np.all(np.isfinite(scores)):
                raise ValueError("non-finite test scores")
            result.update(scores=scores.tolist(), work_around=work_around, seconds=time.perf_counter() - start)
            break
        except Exception as error:
            lines = traceback.format_exc().strip().splitlines()
            result["attempts"].append({"work_around": work_around, "error": f"{type(error).__name__}: {error}"[:400],
                                       "where": lines[-3:] , "seconds": time.perf_counter() - start})
    with open(target, "w") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main(sys.argv[1:])
