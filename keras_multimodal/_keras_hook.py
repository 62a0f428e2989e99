"""Register the package's Keras layers as soon as Keras is imported.

`import keras` loads TensorFlow (seconds), so the package must not import it
eagerly; yet `.keras` files only load once our layers are registered. A
meta-path finder wraps Keras's own loader and imports our layer modules right
after `keras` finishes importing.
"""

import importlib
import importlib.abc
import sys

_MODULES = ("keras_multimodal.encoders", "keras_multimodal.fusion", "keras_multimodal.layers", "keras_multimodal.pretraining")


def register_components():
    for module in _MODULES:
        importlib.import_module(module)


class _KerasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != "keras":
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec("keras")
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _RegisteringLoader(spec.loader, self)
        return spec


class _RegisteringLoader(importlib.abc.Loader):
    def __init__(self, loader, finder):
        self.loader = loader
        self.finder = finder

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)
        # When one of our own modules imported Keras, registering now would
        # re-enter that half-imported module; the package's own loading paths
        # (builder, Run.model) import the registries themselves.
        if not _importing_own_module():
            register_components()


def _importing_own_module():
    for name, module in list(sys.modules.items()):
        spec = getattr(module, "__spec__", None)
        if name.startswith("keras_multimodal.") and getattr(spec, "_initializing", False):
            return True
    return False


def install():
    if "keras" in sys.modules:
        register_components()
    elif not any(isinstance(f, _KerasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _KerasFinder())
