"""Repository conftest: makes the harness plugin available even without `pip install -e .`.

Installed, the plugin arrives through the ``pytest11`` entry point ``harness`` (pyproject.toml);
loading it twice would register its options twice, so it is named here only when it is absent.
Markers, options and Hypothesis profiles all live in ``harness/pytest_plugin.py``.
"""

from importlib.metadata import entry_points

if not any(ep.name == "harness" for ep in entry_points(group="pytest11")):
    pytest_plugins = ["harness.pytest_plugin"]

# A user's project, run by tests/test_example_project.py through pytester against the installed plugin only.
collect_ignore = ["tests/example_project"]
