"""A tiny covid_chestxray run per session (real images, notes, sparse labs), when the data is beside the checkout."""

from pathlib import Path

import pytest

import keras_multimodal as kmm

COVID_SPEC = Path(__file__).resolve().parents[2] / "data_specs" / "covid_cxr.yaml"
COVID_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "covid_chestxray"

# One epoch on 32x32 images: the point is that exported numbers equal in-memory ones, not accuracy.
# xray is `required` in the spec; the SavedModel must still serve a row without an image, so the
# run that checks it does not require one (kmm predict would refuse such rows otherwise).
TINY_COVID = {
    "training__epochs": 1,
    "training__baselines": False,
    "inputs__xray__size": [32, 32],
    "inputs__xray__required": False,
    "inputs__notes__sequence_length": 32,
}


@pytest.fixture(scope="session")
def covid_root():
    if not COVID_DATA.is_dir():
        pytest.skip("../shared/data/covid_chestxray is not beside the checkout")
    return COVID_DATA


@pytest.fixture(scope="session")
def covid_run(covid_root, tmp_path_factory):
    spec = kmm.load_spec(COVID_SPEC, data_root=str(covid_root), **TINY_COVID)
    return kmm.train(spec, out=tmp_path_factory.mktemp("covid") / "run", verbose=0)
