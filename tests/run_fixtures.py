"""One tiny demo run per session, shared by the training and export tests."""

import pytest

import keras_multimodal as kmm


def tiny_demo_spec(root, **updates):
    settings = {
        "data__root": str(root),
        "data__generate__rows": 240,
        "training__epochs": 3,
        "training__batch_size": 32,
        "training__patience": 0,
    }
    settings.update(updates)
    return kmm.load_spec(None, **settings)


@pytest.fixture(scope="session")
def make_demo_spec(demo_root):
    """Factory: the tiny demo spec with extra dotted `__` overrides."""
    return lambda **updates: tiny_demo_spec(demo_root, **updates)


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory):
    return tmp_path_factory.mktemp("demo_data")


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, demo_root):
    """A finished run of the embedded demo at a tiny size (trained once)."""
    spec = tiny_demo_spec(demo_root)
    return kmm.train(spec, out=tmp_path_factory.mktemp("runs") / "demo", verbose=0)
