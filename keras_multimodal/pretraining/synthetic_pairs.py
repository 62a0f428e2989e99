"""Deterministic synthetic image-report pairs: words name shapes placed in image regions.

Each image is a grid of cells (default 4 x 4 cells of 8 px, 32 x 32 RGB)
over faint noise; 1 to `max_findings` shapes of distinct kinds sit in
distinct random cells. The report names the shapes present, in random order,
among 0-3 filler words. A model that aligns words with regions can tell
which cell a word refers to; the generator returns the cells so tests can
check it.
"""

import dataclasses

import numpy as np

SHAPES = ("square", "circle", "triangle", "cross", "ring", "bar", "diamond", "saltire")
FILLERS = ("the", "image", "shows", "a", "with", "there", "is", "and")
# One colour per shape as well as its outline: the point is alignment, not hard vision.
_COLOURS = np.array(
    [[1.0, 0.2, 0.2], [0.2, 1.0, 0.2], [0.3, 0.3, 1.0], [1.0, 1.0, 0.2], [1.0, 0.3, 1.0], [0.2, 1.0, 1.0], [1.0, 0.6, 0.1], [0.9, 0.9, 0.9]],
    "float32",
)


@dataclasses.dataclass
class SyntheticPairs:
    """`images` (N, H, W, 3) float32 in [0, 1]; `texts` N reports; per row the shape
    indices `findings` and their `cells` (row-major cell index), same order."""

    images: np.ndarray
    texts: list
    findings: list
    cells: list
    grid: int

    @property
    def labels(self):
        """The first finding of each row (the class of a single-finding image)."""
        return np.array([f[0] for f in self.findings])

    def same_findings(self):
        """(N, N) bool: rows whose reports name the same set of shapes (duplicates in retrieval)."""
        keys = [frozenset(f) for f in self.findings]
        return np.array([[a == b for b in keys] for a in keys])


def _mask(shape, size):
    y, x = np.mgrid[0:size, 0:size].astype("float32")
    c, r = (size - 1) / 2.0, size / 2.0 - 1.0
    d = np.hypot(x - c, y - c)
    masks = {
        "square": (abs(x - c) <= r) & (abs(y - c) <= r),
        "circle": d <= r,
        "triangle": (y >= 1) & (y <= size - 2) & (abs(x - c) <= (y - 1) / 2.0 + 0.5),
        "cross": (abs(x - c) <= 1) | (abs(y - c) <= 1),
        "ring": (d <= r) & (d >= r - 1.5),
        "bar": abs(y - c) <= 1,
        "diamond": abs(x - c) + abs(y - c) <= r,
        "saltire": (abs(x - y) <= 1) | (abs(x + y - (size - 1)) <= 1),
    }
    return masks[shape].astype("float32")


def make_synthetic_pairs(n, seed=0, grid=4, cell_size=8, max_findings=2, num_shapes=len(SHAPES)):
    """`n` pairs; the same arguments always give the same pairs.

    Args:
        n: int. Number of pairs.
        seed: int. Random seed.
        grid: int. Cells per side.
        cell_size: int. Pixels per cell side (images are grid * cell_size).
        max_findings: int. Shapes per image, drawn uniformly from 1..max_findings.
        num_shapes: int. How many of `SHAPES` are used.
    """
    rng = np.random.default_rng(seed)
    side = grid * cell_size
    masks = [_mask(s, cell_size) for s in SHAPES[:num_shapes]]
    images = rng.uniform(0.0, 0.12, (n, side, side, 3)).astype("float32")
    texts, findings, cells = [], [], []
    for k in range(n):
        count = int(rng.integers(1, max_findings + 1))
        kinds = rng.choice(num_shapes, count, replace=False).tolist()
        where = rng.choice(grid * grid, count, replace=False).tolist()
        for kind, cell in zip(kinds, where):
            row, col = divmod(cell, grid)
            block = images[k, row * cell_size : (row + 1) * cell_size, col * cell_size : (col + 1) * cell_size]
            shade = _COLOURS[kind] * rng.uniform(0.8, 1.0)
            block[:] = np.where(masks[kind][..., None] > 0, shade, block)
        words = [SHAPES[i] for i in kinds] + list(rng.choice(FILLERS, int(rng.integers(0, 4))))
        rng.shuffle(words)
        texts.append(" ".join(words))
        findings.append(kinds)
        cells.append(where)
    return SyntheticPairs(np.clip(images, 0.0, 1.0), texts, findings, cells, grid)


def vocabulary():
    """The pairs' vocabulary in `TextVectorization` order: padding, [UNK], fillers, shapes."""
    return ["", "[UNK]"] + list(FILLERS) + list(SHAPES)


def token_ids(texts, length=8):
    """Whitespace tokenisation with `vocabulary()`: (N, length) int32, 0 = padding."""
    index = {w: i for i, w in enumerate(vocabulary())}
    ids = np.zeros((len(texts), length), "int32")
    for row, text in enumerate(texts):
        tokens = [index.get(w, 1) for w in text.split()][:length]
        ids[row, : len(tokens)] = tokens
    return ids


def write_synthetic_pairs(folder, n, seed=0, **options):
    """Write `pairs.csv` (`image_file`, `report`, `finding`, `pair_id`) and PNGs under `images/`."""
    from pathlib import Path

    import pandas as pd
    from PIL import Image

    folder = Path(folder)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    pairs = make_synthetic_pairs(n, seed=seed, **options)
    rows = []
    for k, image in enumerate(pairs.images):
        name = f"pair_{k:05d}.png"
        Image.fromarray((image * 255).round().astype("uint8")).save(folder / "images" / name)
        rows.append({"pair_id": k, "image_file": name, "report": pairs.texts[k], "finding": SHAPES[pairs.findings[k][0]]})
    pd.DataFrame(rows).to_csv(folder / "pairs.csv", index=False)
    return pairs
