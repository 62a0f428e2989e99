"""The accuracy benchmark's tasks: specs for the toolkit's default and candidate models."""

from _accuracy_data import DATA_ROOT
from _accuracy_data import petfinder_table
from _common import REPO_ROOT

SPECS = REPO_ROOT / "data_specs"
TINY_ROWS = 300
COVID_FUSIONS = ("late", "hybrid")


def _load(path, root, tiny, epochs, **overrides):
    import keras_multimodal as kmm

    settings = {"data__root": str(root), "training__baselines": False}
    if epochs:
        settings["training__epochs"] = epochs
    if tiny:
        settings.update(training__patience=0)
    settings.update(overrides)
    return kmm.load_spec(str(path), **settings)


def petfinder_task(tiny=False, epochs=None):
    folder = petfinder_table(limit=TINY_ROWS if tiny else None)
    split = {"split": {"column": "fold"}}
    default = _load(SPECS / "petfinder.yaml", folder, tiny, epochs, **split)
    best_overrides = dict(split)
    if tiny:
        # The tuned spec's encoder choices at a size CI can afford: a short text and one epoch.
        best_overrides["inputs__description__sequence_length"] = 16
    best = _load(SPECS / "petfinder_best.yaml", folder, tiny, epochs, **best_overrides)
    return {
        "name": "petfinder",
        "key": "petfinder",
        "about": ("petfinder_mini_desc, Description text + 13 tabular fields, adopted = AdoptionSpeed < 4; split md5(row index) % 5 "
                  "(0 test, 1 val, else train) as a `fold` column, `split: {column: fold}`. scikit-learn peers fit on train only; "
                  "neural models stop early on val; the tuned spec was chosen on val."),
        "spec": default,
        "toolkit": [("toolkit default (data_specs/petfinder.yaml: concat, lstm, mlp)", default),
                    ("toolkit tuned (data_specs/petfinder_best.yaml)", best)],
    }


def covid_task(tiny=False, epochs=None):
    overrides = {"data__limit": 120} if tiny else {}
    default = _load(SPECS / "covid_cxr.yaml", DATA_ROOT / "covid_chestxray", tiny, epochs, **overrides)
    toolkit = [("toolkit default (data_specs/covid_cxr.yaml: concat)", default)]
    for fusion in COVID_FUSIONS:
        toolkit.append((f"toolkit fusion={fusion}", _load(SPECS / "covid_cxr.yaml", DATA_ROOT / "covid_chestxray", tiny, epochs,
                                                          model__fusion=fusion, **overrides)))
    about = ("covid_chestxray X-ray rows, went_icu, image + clinical note + labs, data_specs/covid_cxr.yaml's patient split "
             "(group_by patientid); CIs resample patients. scikit-learn and AutoKeras peers use the note and labs only (no image); "
             "the best toolkit fusion is chosen on val.")
    return {"name": "covid_chestxray", "key": "covid", "about": about, "spec": default, "toolkit": toolkit}


_TASKS = {"petfinder": petfinder_task, "covid": covid_task}


def make_tasks(names, tiny=False, epochs=None):
    unknown = [n for n in names if n not in _TASKS]
    if unknown:
        raise SystemExit(f"unknown task(s) {unknown}; choose from {sorted(_TASKS)}")
    return [_TASKS[name](tiny=tiny, epochs=epochs) for name in names]
