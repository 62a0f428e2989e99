"""Deterministic synthetic tri-modal dataset (image + clinical note + tabular vitals).

Each patient carries three hidden binary findings, one per modality; the outcome is their
majority vote, so any single modality caps out around AUROC 0.75 while a fused model can
approach 0.95. The data is written to disk as a CSV plus PNG files so that the demo
exercises exactly the same loading path as real user data.
"""
import json
import os
import pathlib
import shutil
import tempfile

import numpy as np
import pandas as pd
from PIL import Image

VERSION = 2
COLUMNS = ["patient_id", "image_file", "note", "age", "temperature", "spo2", "crp",
           "sex", "smoker", "outcome"]
NUMERIC = ["age", "temperature", "spo2", "crp"]

_FRAMES = ["Chest film shows {x}.", "Imaging demonstrates {x}.", "There is {x}.",
           "Radiograph reveals {x}.", "Denies {sym}; {x}.", "Portable film with {x}."]
_FINDINGS = [
    "bilateral infiltrates", "consolidation in the {side} {lobe} lobe",
    "ground-glass opacities in the {side} lung", "patchy airspace opacity at the {side} base",
    "{side} {lobe} lobe pneumonia", "multifocal infiltrates", "dense consolidation",
]
_CLEAR = [
    "Lungs are clear.", "No acute findings.", "No acute cardiopulmonary process.",
    "Clear lung fields bilaterally.", "Chest radiograph is unremarkable.",
]
_FILLER = [
    "Patient is a {n} year old {who} presenting with {sym}.", "History of {cond} and {cond2}.",
    "On {drug} {dose} mg daily.", "Takes {drug} at night.", "Reports {sym} for {days} days.",
    "Denies {sym}.", "Vitals reviewed at bedside.", "Heart size is normal.",
    "Pain in the {side} knee.", "Low grade fever overnight.", "Blood pressure stable overnight.",
    "Tolerating oral intake.", "Lab work pending.", "Family at bedside.", "Allergic to {drug}.",
    "Seen and examined with the attending.", "Follow up with primary care in {days} weeks.",
    "Oxygen via nasal cannula as needed.", "Plan discussed with the patient.",
    "Pulse and respiratory rate noted on the flowsheet.",
    # Twins differing only by a negation word, so counting "no" reveals nothing.
    "Reports {sym}.", "Reports no {sym}.", "History of {cond}.", "No history of {cond}.",
    "Pleural effusion on the {side}.", "No pleural effusion on the {side}.",
    "On home oxygen.", "Not on home oxygen.", "Recent travel.", "No recent travel.",
    "Changes to {drug} dose.", "No changes to {drug} dose.",
]
_WORDS = {
    "side": ["left", "right"], "lobe": ["upper", "middle", "lower"],
    "who": ["patient", "retiree", "teacher", "driver", "nurse", "resident"],
    "sym": ["cough", "fatigue", "chest pain", "mild dyspnea", "chills", "night sweats",
            "headache", "nausea", "poor appetite", "back pain", "dizziness"],
    "cond": ["hypertension", "type 2 diabetes", "asthma", "COPD", "atrial fibrillation",
             "chronic kidney disease", "hypothyroidism", "obesity", "gout", "depression",
             "heart failure", "osteoarthritis", "prior stroke", "anemia"],
    "drug": ["metformin", "lisinopril", "amlodipine", "atorvastatin", "aspirin",
             "levothyroxine", "albuterol", "furosemide", "omeprazole", "sertraline",
             "warfarin", "penicillin", "gabapentin", "prednisone"],
    "dose": ["5", "10", "20", "40", "50", "100", "500"],
    "days": ["two", "three", "four", "five", "several", "ten"],
    "n": ["34", "47", "52", "58", "63", "66", "71", "75", "80", "88"],
}


def _fill(rng, template):
    words = {k: v[rng.integers(len(v))] for k, v in _WORDS.items()}
    words["cond2"] = _WORDS["cond"][rng.integers(len(_WORDS["cond"]))]
    finding = _FINDINGS[rng.integers(len(_FINDINGS))].format(**words)
    return template.format(f=finding, **words)


def _make_note(rng, finding):
    if finding or rng.random() < 0.2:
        # Negations are the positive sentence plus "no"; fillers carry "no" too, so a bag of
        # words cannot separate them while word order (bigrams, sequence models) can.
        key = _FRAMES[rng.integers(len(_FRAMES))].replace("{x}", "{f}" if finding else "no {f}")
    else:
        key = _CLEAR[rng.integers(len(_CLEAR))]
    sentences = [_fill(rng, key)]
    target = rng.integers(10, 41)
    while sum(len(s.split()) for s in sentences) < target:
        sentences.append(_fill(rng, _FILLER[rng.integers(len(_FILLER))]))
    if len(sentences) > 2 and sum(len(s.split()) for s in sentences) > 40:
        sentences.pop()
    # The key sentence lands anywhere so position is not a shortcut.
    order = rng.permutation(len(sentences))
    return " ".join(sentences[i] for i in order)


def _ellipse(xx, yy, cx, cy, rx, ry, edge=0.08):
    r = np.sqrt(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2)
    return 1.0 / (1.0 + np.exp(np.clip((r - 1.0) / edge, -50, 50)))


def _blob(xx, yy, cx, cy, sigma):
    return np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma ** 2))


def _render_image(rng, size, finding):
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1.0)
    s = rng.uniform(0.96, 1.04)
    cx, cy = 0.5 + rng.uniform(-0.03, 0.03, 2) + (0.0, 0.04)
    body = _ellipse(xx, yy, cx, cy, 0.40 * s, 0.50 * s)
    centers = [(cx + side * 0.17 * s, cy - 0.04 * s) for side in (-1, 1)]
    lungs = [_ellipse(xx, yy, lx, ly, 0.12 * s, 0.27 * s) for lx, ly in centers]
    # Ribs curve downwards laterally, like on a real frontal film.
    phase = (yy - cy + 1.5 * (xx - cx) ** 2) * 9.0 / s
    ribs = np.maximum(np.cos(2 * np.pi * phase), 0.0) ** 6
    img = 15 + 125 * body - 75 * np.maximum(*lungs) + 14 * ribs * body
    if finding:
        for _ in range(rng.integers(1, 3)):
            lx, ly = centers[rng.integers(2)]
            ang, rad = rng.uniform(0, 2 * np.pi), 0.6 * np.sqrt(rng.random())
            bx, by = lx + rad * 0.12 * s * np.cos(ang), ly + rad * 0.27 * s * np.sin(ang)
            img += rng.uniform(55, 85) * _blob(xx, yy, bx, by, rng.uniform(0.06, 0.09) * s)
    elif rng.random() < 0.25:
        # Faint spot outside the lungs: brightness alone must not imply the finding.
        spots = [(cx, cy + 0.12), (cx - 0.25, cy + 0.36), (cx + 0.25, cy + 0.36),
                 (cx - 0.3, cy - 0.38), (cx + 0.3, cy - 0.38)]
        bx, by = spots[rng.integers(len(spots))]
        img += rng.uniform(30, 45) * _blob(xx, yy, bx, by, rng.uniform(0.02, 0.03))
    img += rng.normal(0.0, 7.0, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _make_tabular(rng, b, c):
    n = len(c)
    # C is "hypoxic AND inflamed"; either abnormality alone is a decoy for C = 0.
    mode = np.where(c == 1, 3, rng.choice(3, size=n, p=[0.6, 0.2, 0.2]))
    low_spo2, high_crp = np.isin(mode, (1, 3)), np.isin(mode, (2, 3))
    spo2 = np.where(low_spo2, rng.normal(88.5, 2.2, n), rng.normal(96.0, 1.6, n))
    crp = np.where(high_crp, np.exp(rng.normal(np.log(90), 0.4, n)),
                   np.exp(rng.normal(np.log(8), 0.7, n)))
    return pd.DataFrame({
        "age": np.round(np.clip(rng.normal(55 + 3 * c, 15, n), 18, 95), 1),
        "temperature": np.round(rng.normal(37.0 + 0.3 * b, 0.6, n), 1),
        "spo2": np.round(np.clip(spo2, 70, 100), 1),
        "crp": np.round(crp, 1),
        "sex": rng.choice(["M", "F"], size=n),
        "smoker": rng.choice(["no", "former", "yes"], size=n, p=[0.5, 0.3, 0.2]),
    })


def _apply_missingness(rng, frame):
    n = len(frame)
    for col in NUMERIC:
        frame.loc[rng.random(n) < 0.045, col] = np.nan
    for col in ("sex", "smoker"):
        frame.loc[rng.random(n) < 0.02, col] = ""
    all_missing = rng.random(n) < 0.05
    frame.loc[all_missing, NUMERIC] = np.nan
    frame.loc[all_missing, ["sex", "smoker"]] = ""
    frame.loc[rng.random(n) < 0.07, "note"] = ""
    frame.loc[rng.random(n) < 0.07, "image_file"] = ""


def generate_frame(rows, seed, image_size):
    """Return (table, {relative image path: uint8 HxW array}) without touching disk."""
    if rows < 1:
        raise ValueError(f"rows must be positive, got {rows}")
    rng = np.random.default_rng(seed)
    # About 15% of patients get a second visit sharing the same hidden state.
    visits = 1 + (rng.random(rows) < 0.15)
    patient = np.repeat(np.arange(rows), visits)[:rows]
    n_pat = patient[-1] + 1
    latent = rng.random((n_pat, 3)) < 0.5
    severe = (latent.sum(axis=1) >= 2) ^ (rng.random(n_pat) < 0.03)
    order = rng.permutation(rows)
    patient = patient[order]
    a, b, c = (latent[patient, k].astype(int) for k in range(3))
    frame = _make_tabular(rng, b, c)
    frame.insert(0, "patient_id", [f"P{p:05d}" for p in patient])
    frame.insert(1, "image_file", [f"images/{i:06d}.png" for i in range(rows)])
    frame.insert(2, "note", [_make_note(rng, x) for x in b])
    frame["outcome"] = np.where(severe[patient], "severe", "mild")
    _apply_missingness(rng, frame)
    images = {path: _render_image(rng, image_size, x)
              for path, x in zip(frame["image_file"], a) if path}
    return frame[COLUMNS], images


def _manifest(rows, seed, image_size):
    return {"generator": "demo", "version": VERSION, "rows": int(rows), "seed": int(seed),
            "image_size": int(image_size)}


def _is_complete(root, manifest):
    try:
        with open(root / "manifest.json", encoding="utf-8") as fh:
            return json.load(fh) == manifest and (root / "demo.csv").is_file()
    except (OSError, ValueError):
        return False


def _write(directory, frame, images, manifest):
    (directory / "images").mkdir()
    for path, array in images.items():
        Image.fromarray(array).save(directory / path, format="PNG")
    frame.to_csv(directory / "demo.csv", index=False, lineterminator="\n")
    # The manifest goes last: its presence is what marks the dataset as complete.
    with open(directory / "manifest.json", "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2, sort_keys=True)


def _swap_into_place(tmp, root):
    old = None
    if root.exists():
        is_ours = (root / "manifest.json").is_file() or not any(root.iterdir())
        if not is_ours:
            raise FileExistsError(f"{root} exists and is not a synthetic dataset; refusing "
                                  "to overwrite it")
        old = pathlib.Path(tempfile.mkdtemp(prefix=f".{root.name}.old-", dir=root.parent))
        os.replace(root, old / "data")
    os.replace(tmp, root)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def make_synthetic_dataset(root, rows=1200, seed=0, image_size=64):
    """Write root/demo.csv and root/images/<id>.png (atomically, once); return demo.csv."""
    root = pathlib.Path(root)
    manifest = _manifest(rows, seed, image_size)
    if _is_complete(root, manifest):
        return root / "demo.csv"
    root.parent.mkdir(parents=True, exist_ok=True)
    # Not mkdtemp: its 0700 mode would survive the rename into place.
    tmp = root.parent / f".{root.name}.tmp-{os.getpid()}-{os.urandom(4).hex()}"
    tmp.mkdir()
    try:
        _write(tmp, *generate_frame(rows, seed, image_size), manifest)
        # Another process may finish the same dataset while we generate; its copy is as good.
        if not _is_complete(root, manifest):
            try:
                _swap_into_place(tmp, root)
            except OSError:
                if not _is_complete(root, manifest):
                    raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root / "demo.csv"
