"""What ``skyrl.train.sft_trainer`` needs at import but its data path never runs, on the interpreter it runs on here.

* ray: the module imports skyrl's whole training stack (Ray actors, placement groups), and the wheel's
  ``Requires-Python >= 3.12`` makes the environment's wheels cp312, which a 3.11 interpreter cannot load (ray ships
  only compiled wheels). While skyrl loads, a stand-in answers every ``ray``/``ray.*`` import and attribute; it is
  removed afterwards, so nothing else sees a ``ray``. ``tokenize_chat_example`` calls none of it.
* orjson: imported at load by skyrl's remote-inference client (``skyrl.backends...remote_inference_client``), which
  the data path never calls; like ray it ships only compiled per-Python wheels, so the environment's cp312 wheel
  cannot load here. It is stood in for the same way, only where the interpreter has no orjson of its own.
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


# Compiled packages skyrl imports at load whose functions its data path never calls (see above).
STOOD_IN = ("ray", "orjson")


def _stood_in(name: str, roots: tuple[str, ...]) -> bool:
    return any(name == root or name.startswith(root + ".") for root in roots)


class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, roots: tuple[str, ...]):
        self.roots = roots

    def find_spec(self, name, path, target=None):
        if _stood_in(name, self.roots):
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
    missing = tuple(root for root in STOOD_IN if root not in sys.modules and importlib.util.find_spec(root) is None)
    if missing:
        finder = _StandInFinder(missing)
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
            for name in [n for n in sys.modules if _stood_in(n, finder.roots)]:
                del sys.modules[name]
