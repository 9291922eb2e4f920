"""What ``skyrl.train.sft_trainer`` needs at import but its data path never runs, on the interpreter it runs on here.

* ray: the module imports skyrl's whole training stack (Ray actors, placement groups), and the wheel's
  ``Requires-Python >= 3.12`` makes the environment's wheels cp312, which a 3.11 interpreter cannot load (ray ships
  only compiled wheels). While skyrl loads, a stand-in answers every ``ray``/``ray.*`` import and attribute; it is
  removed afterwards, so nothing else sees a ``ray``. ``tokenize_chat_example`` calls none of it.
* pydantic refuses ``typing.TypedDict`` on Python < 3.12 (``skyrl.tinker.types.MultiModalKwargs``):
  ``typing_extensions.TypedDict`` takes its place while skyrl loads.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types


class _Anything:
    """Any ray object: callable (a decorator, ``.remote()``, ``.options(...)``), an attribute of anything, a base."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return _Anything()

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything()

    def __getitem__(self, key):
        return _Anything()

    def __mro_entries__(self, bases):
        return (object,)

    def __or__(self, other):
        return object

    __ror__ = __or__


class _StandInModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything()


class _RayFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name == "ray" or name.startswith("ray."):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        return _StandInModule(spec.name)

    def exec_module(self, module):
        module.__path__ = []


@contextlib.contextmanager
def skyrl_importable():
    """The stand-ins above, for as long as skyrl's modules load (only those the interpreter needs)."""
    import typing

    finder = None
    if importlib.util.find_spec("ray") is None:
        finder = _RayFinder()
        sys.meta_path.insert(0, finder)
    original = typing.TypedDict
    if sys.version_info < (3, 12):
        import typing_extensions

        typing.TypedDict = typing_extensions.TypedDict
    try:
        yield
    finally:
        typing.TypedDict = original
        if finder is not None:
            sys.meta_path.remove(finder)
            for name in [n for n in sys.modules if n == "ray" or n.startswith("ray.")]:
                del sys.modules[name]
