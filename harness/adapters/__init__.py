"""One adapter (a module or a package) per external library: ``transformers`` (with ``tokenizers``), ``trl`` (with
``datasets``; its private APIs in ``trl/_private.py``), ``verifiers`` and ``renderers``. No other harness module
imports them (``tests/test_import_boundary.py``), so an upgrade of a library touches one adapter and its tests.

Each adapter imports its library lazily, inside functions, so importing ``harness`` stays cheap.
"""
