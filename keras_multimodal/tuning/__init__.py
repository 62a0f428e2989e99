"""Hyperparameter search over a spec's `tuning:` space with Keras Tuner.

Importing this package is instant; `tune` loads Keras Tuner when called.
"""


def tune(spec, out=None, tuner=None, max_trials=None, executions_per_trial=None, **kwargs):
    """See `keras_multimodal.tuning.search.tune`."""
    from keras_multimodal.tuning.search import tune as _tune

    return _tune(spec, out=out, tuner=tuner, max_trials=max_trials, executions_per_trial=executions_per_trial, **kwargs)


__all__ = ["tune"]
