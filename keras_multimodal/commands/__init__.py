"""Extra `kmm` subcommands, one module each (discovered by name, imported lazily).

A module here defines `NAME`, `HELP`, `add_arguments(parser)` and `run(args)`;
`kmm` finds it without edits to `cli.py`. Keep module-level imports light
(no TensorFlow or Keras): `kmm --help` imports every one of them.
"""

import importlib
import pkgutil


def discover():
    """The command modules in this package, sorted by name."""
    modules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            modules.append(importlib.import_module(f"{__name__}.{info.name}"))
    return modules
