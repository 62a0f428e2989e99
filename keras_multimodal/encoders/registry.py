"""The encoder registry: `register_encoder`, `get_encoder`, `list_encoders`."""

from keras_multimodal.registry import Registry

ENCODERS = Registry("encoder")


def register_encoder(name, modality):
    """Register an encoder class under `name` for one modality ('image', 'text', 'tabular')."""
    return ENCODERS.register(name, modality=modality)


def get_encoder(name, **kwargs):
    """Instantiate a registered encoder; unknown names list the valid ones."""
    return ENCODERS.create(name, **kwargs)


def list_encoders(modality=None):
    """Sorted encoder names, optionally for one modality."""
    return ENCODERS.names(modality=modality) if modality else ENCODERS.names()
