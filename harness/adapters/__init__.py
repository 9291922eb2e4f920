"""One module per external library (transformers, trl, verifiers): an upgrade of a library touches one file.

Each adapter imports its library lazily, inside functions, so importing ``harness`` stays cheap.
"""
