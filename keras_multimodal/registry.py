"""Name registries for components: one decorator registers for lookup and for Keras serialisation."""

import inspect

import keras

from keras_multimodal.errors import SpecError
from keras_multimodal.specs.fields import close_matches

PACKAGE = "keras_multimodal"


class Registry:
    """Components of one kind ('encoder', 'fusion'), looked up by name."""

    def __init__(self, kind):
        self.kind = kind
        self._classes = {}

    def register(self, name, **attributes):
        def decorator(cls):
            if name in self._classes:
                raise ValueError(f"{self.kind} {name!r} is already registered by {self._classes[name].__name__}")
            keras.saving.register_keras_serializable(package=PACKAGE, name=cls.__name__)(cls)
            cls.registered_name = name
            for key, value in attributes.items():
                setattr(cls, key, value)
            self._classes[name] = cls
            return cls

        return decorator

    def names(self, **attributes):
        return sorted(n for n, c in self._classes.items() if all(getattr(c, k) == v for k, v in attributes.items()))

    def get_class(self, name):
        if name not in self._classes:
            raise ValueError(
                f"Unknown {self.kind} {name!r}{close_matches(name, self._classes)}. "
                f"Valid {self.kind}s: {', '.join(self.names())}"
            )
        return self._classes[name]

    def options(self, component):
        """The option names `component`'s constructor accepts."""
        return _arguments(self.get_class(component)) | {"name", "dtype"}

    def check_options(self, component, options, field=None, source=None):
        """An option `component` does not take is a SpecError naming the field and the valid options."""
        accepted = self.options(component)
        for key in options:
            if key not in accepted:
                where = f"{field}.{key}" if field else key
                message = f"{component!r} takes no option {key!r}{close_matches(key, accepted)}; valid: {', '.join(sorted(accepted))}"
                raise SpecError(where, message, source)

    def create(self, component, field=None, **kwargs):
        """Instantiate by name; an unknown option names the spec field and the valid options."""
        cls = self.get_class(component)
        self.check_options(component, kwargs, field)
        return cls(**kwargs)


def _arguments(cls):
    parameters = inspect.signature(cls.__init__).parameters
    return {n for n, p in parameters.items() if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
