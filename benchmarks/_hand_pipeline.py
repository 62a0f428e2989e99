"""The seed tutorial's input pipeline ported to Keras 3 by hand, as users write it.

The tutorial used `ImageDataGenerator(rescale=1/255).flow_from_directory` and
`Tokenizer(num_words)` + `pad_sequences`, all removed in Keras 3. The usual port:
a Python generator that, per batch, opens and resizes each image with PIL,
tokenises with a Python dictionary vocabulary and pads with NumPy. It yields
the same input dict the toolkit's pipeline produces, so the same model trains
on either.
"""

import re
from collections import Counter

import numpy as np

_PUNCTUATION = re.compile(r"[^\w\s]")


def _words(text):
    return _PUNCTUATION.sub("", text.lower()).split()


class HandPipeline:
    """Fitted on the training rows (vocabulary, numeric statistics, category lists)."""

    def __init__(self, bench_frame, spec, num_words=None):
        self.spec = spec
        self.inputs = spec.inputs
        self.vocab, self.stats, self.categories = {}, {}, {}
        for name, inp in spec.inputs.items():
            if inp.type == "text":
                counts = Counter(w for text in bench_frame[name] for w in _words(text))
                limit = (num_words or inp.max_tokens) - 2  # ids 0 = padding, 1 = out of vocabulary
                self.vocab[name] = {w: i + 2 for i, (w, _) in enumerate(counts.most_common(limit))}
            elif inp.type == "tabular":
                numeric = bench_frame[[f"{name}/{c}" for c in inp.numeric]].to_numpy(dtype="float64")
                std = np.nanstd(numeric, axis=0)
                self.stats[name] = (np.nanmean(numeric, axis=0), np.where(std > 1e-12, std, 1.0))
                self.categories[name] = [
                    {v: i + 2 for i, v in enumerate(sorted(set(bench_frame[f"{name}/{c}"]) - {""}))} for c in inp.categorical
                ]

    def _image(self, path, inp):
        from PIL import Image

        if not path:
            return np.zeros((*inp.size, inp.channels), "float32"), 0.0
        with Image.open(path) as image:
            image = image.convert("L" if inp.channels == 1 else "RGB").resize(tuple(inp.size[::-1]), Image.BILINEAR)
            array = np.asarray(image, dtype="float32") / 255.0
        return array.reshape(*inp.size, inp.channels), 1.0

    def _tokens(self, text, name, length):
        vocab = self.vocab[name]
        ids = [vocab.get(w, 1) for w in _words(text)][:length]
        padded = np.zeros(length, "int32")
        padded[: len(ids)] = ids
        return padded

    def batch(self, rows):
        """One batch dict from a frame slice."""
        out = {}
        for name, inp in self.inputs.items():
            if inp.type == "image":
                pairs = [self._image(p, inp) for p in rows[name]]
                out[name] = np.stack([p[0] for p in pairs])
                out[f"{name}_present"] = np.array([[p[1]] for p in pairs], "float32")
            elif inp.type == "text":
                texts = list(rows[name])
                out[name] = np.stack([self._tokens(t, name, inp.sequence_length) for t in texts])
                out[f"{name}_present"] = np.array([[float(bool(t.strip()))] for t in texts], "float32")
            else:
                mean, std = self.stats[name]
                numeric = rows[[f"{name}/{c}" for c in inp.numeric]].to_numpy(dtype="float64")
                missing = np.isnan(numeric)
                out[f"{name}_numeric"] = np.where(missing, 0.0, (numeric - mean) / std).astype("float32")
                out[f"{name}_missing"] = missing.astype("float32")
                out[f"{name}_categorical"] = np.stack(
                    [[lookup.get(v, 1) if v else 0 for v in rows[f"{name}/{c}"]] for c, lookup in zip(inp.categorical, self.categories[name])],
                    axis=1,
                ).astype("int32")
                out[f"{name}_present"] = np.ones((len(rows), 1), "float32")
        return out

    def generator(self, frame, labels, batch_size, epochs=1, seed=0):
        """Yields (inputs, labels) batches, reshuffled each epoch, as users feed `fit`."""
        rng = np.random.default_rng(seed)
        for _ in range(epochs):
            order = rng.permutation(len(frame))
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                yield self.batch(frame.iloc[idx]), labels[idx].astype("float32")
