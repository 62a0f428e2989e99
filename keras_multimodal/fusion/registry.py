"""The fusion registry: `register_fusion`, `get_fusion`, `list_fusions`."""

from keras_multimodal.registry import Registry

FUSIONS = Registry("fusion")


def register_fusion(name):
    """Register a fusion layer class under `name`."""
    return FUSIONS.register(name)


def get_fusion(name, **kwargs):
    """Instantiate a registered fusion; unknown names list the valid ones."""
    return FUSIONS.create(name, **kwargs)


def list_fusions():
    """Sorted fusion names."""
    return FUSIONS.names()
