"""The library boundary: each external library is imported only inside its adapter under ``harness/adapters/``, and
importing ``harness`` (or its pytest plugin) imports none of the heavy libraries.

The sources are parsed with ``ast``, never imported: every ``import X`` / ``from X import ...`` counts, at the top of
a module or inside a function.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import harness

PACKAGE = Path(harness.__file__).parent

# Top-level library name -> the one adapter (a module ``<adapter>.py`` or a package ``<adapter>/`` under harness/)
# allowed to import it.
ADAPTERS = {
    "transformers": "adapters/transformers",
    "tokenizers": "adapters/transformers",
    "trl": "adapters/trl",
    "datasets": "adapters/trl",
    "verifiers": "adapters/verifiers",
    "renderers": "adapters/renderers",
    # Trainers whose data path the conformance table runs, each in its own environment (harness/conformance/).
    "axolotl": "adapters/axolotl",
    "llamafactory": "adapters/llamafactory",
    "openrlhf": "adapters/openrlhf",
    "skyrl": "adapters/skyrl",
    "unsloth": "adapters/unsloth",
    "unsloth_zoo": "adapters/unsloth",
    "verl": "adapters/verl",
}

# Libraries that ``import harness`` and ``import harness.pytest_plugin`` must leave unimported.
HEAVY = ("torch", "transformers", "tokenizers", "trl", "datasets", "verifiers", "renderers", "axolotl", "llamafactory",
         "openrlhf", "skyrl", "unsloth", "unsloth_zoo", "verl")


def _imported_modules(tree: ast.AST):
    """``(line, top-level module, statement)`` for every absolute import in ``tree``, functions included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0], f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = ", ".join(alias.name for alias in node.names)
            yield node.lineno, node.module.split(".")[0], f"from {node.module} import {names}"


def _inside(relative: str, adapter: str) -> bool:
    return relative == f"{adapter}.py" or relative.startswith(f"{adapter}/")


def boundary_violations(package: Path) -> list[str]:
    """``"harness/<file>:<line>: <import> (<library> belongs in harness/<adapter>)"`` for every import of an
    adapted library outside its adapter, in every module under ``package``."""
    problems = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, library, statement in _imported_modules(tree):
            adapter = ADAPTERS.get(library)
            if adapter is not None and not _inside(relative, adapter):
                problems.append(f"{package.name}/{relative}:{line}: {statement} ({library} belongs in "
                                f"{package.name}/{adapter})")
    return problems


def test_each_library_is_imported_only_in_its_adapter():
    problems = boundary_violations(PACKAGE)
    assert not problems, "imports outside their adapter:\n" + "\n".join(problems)


def test_a_planted_import_is_reported_with_file_line_and_statement(tmp_path):
    package = tmp_path / "harness"
    (package / "adapters" / "trl").mkdir(parents=True)
    (package / "adapters" / "trl" / "sft.py").write_text("from trl import SFTTrainer\nimport datasets\n")
    (package / "adapters" / "verifiers.py").write_text("def f():\n    import verifiers.v1 as vf\n")
    (package / "learning").mkdir()
    (package / "learning" / "jobs.py").write_text(
        "import os\n\n\ndef train():\n    from transformers import TrainerCallback\n    from . import tasks\n"
    )
    (package / "adapters" / "trl" / "templates.py").write_text("from tokenizers import Tokenizer\n")
    assert boundary_violations(package) == [
        "harness/adapters/trl/templates.py:1: from tokenizers import Tokenizer "
        "(tokenizers belongs in harness/adapters/transformers)",
        "harness/learning/jobs.py:5: from transformers import TrainerCallback "
        "(transformers belongs in harness/adapters/transformers)",
    ]


@pytest.mark.parametrize("module", ["harness", "harness.pytest_plugin"])
def test_importing_harness_imports_no_heavy_library(module):
    code = f"import sys, {module}\nprint(sorted(name for name in {HEAVY!r} if name in sys.modules))"
    path = os.pathsep.join([str(PACKAGE.parent), *filter(None, [os.environ.get("PYTHONPATH")])])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": path}).stdout
    assert out.strip() == "[]", f"import {module} imported {out.strip()}"


def test_importing_the_trainer_adapters_and_the_conformance_command_imports_no_heavy_library():
    """``python -m harness conformance`` reads every adapter's ENVIRONMENT in the running environment, where the
    trainers are not installed: the adapter packages must import none of them (nor torch) until a masker is built."""
    from harness.conformance.trainers import ADAPTERS as TRAINER_ADAPTERS

    present = [m for m in TRAINER_ADAPTERS.values() if (PACKAGE.parent / m.replace(".", "/") / "__init__.py").is_file()]
    modules = ", ".join(["harness.conformance.cli", "harness.conformance.run", *present])
    code = f"import sys, {modules}\nprint(sorted(name for name in {HEAVY!r} if name in sys.modules))"
    path = os.pathsep.join([str(PACKAGE.parent), *filter(None, [os.environ.get("PYTHONPATH")])])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": path}).stdout
    assert out.strip() == "[]", f"importing {modules} imported {out.strip()}"


# --- import circles ------------------------------------------------------------------------------------------------

# Packages that must import one way only: the strategies draw conversations for what the masking package's template
# probe found, so nothing under harness/masking may need the strategies back (check_masker imports them lazily, and
# nothing the strategies import leads back there).
ONE_WAY = ("harness.strategies", "harness.masking")


def _module_name(relative: Path) -> str:
    parts = list(relative.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (at the top or inside a function), each with the parent packages
    whose ``__init__`` that import runs. Parsed with ``ast``, never imported."""
    root = package.name
    files = {_module_name(path.relative_to(package.parent)): path for path in sorted(package.rglob("*.py"))}

    def known(name: str) -> str | None:  # ``from a.b import c``: the module a.b.c, else a.b
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                    base = ".".join(parts + ([node.module] if node.module else []))
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            else:
                continue
            for target in targets:
                module = known(target) if target.split(".")[0] == root else None
                while module and module != name and not name.startswith(module + "."):
                    graph[name].add(module)  # the module, and each package whose __init__ importing it runs
                    module = module.rpartition(".")[0] or None
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (each an import circle), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(circles)


def test_the_strategies_and_the_masking_package_import_one_way():
    circles = [c for c in import_circles(import_graph(PACKAGE)) if any(m.startswith(ONE_WAY) for m in c)]
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(c) for c in circles)


def test_a_planted_import_circle_is_found(tmp_path):
    package = tmp_path / "harness"
    (package / "strategies").mkdir(parents=True)
    (package / "masking").mkdir()
    (package / "__init__.py").write_text("")
    (package / "masking" / "__init__.py").write_text("")
    (package / "strategies" / "__init__.py").write_text("from harness.strategies.tools import SCHEMAS\n")
    (package / "strategies" / "tools.py").write_text("SCHEMAS = ()\n")
    (package / "strategies" / "chat.py").write_text("from harness.masking.probe import probe\n")
    (package / "masking" / "probe.py").write_text("def probe():\n    from ..strategies.tools import SCHEMAS\n")
    (package / "masking" / "check.py").write_text("def check():\n    from harness.strategies import chat\n")
    graph = import_graph(package)
    # The probe's lazy, relative import counts, with the package __init__ that importing strategies.tools runs.
    assert graph["harness.masking.probe"] == {"harness.strategies.tools", "harness.strategies"}
    assert import_circles(graph) == []  # that __init__ imports only tools: nothing leads back to the probe
    # The package re-exports the chat strategies, which import the probe: probe -> strategies -> chat -> probe.
    (package / "strategies" / "__init__.py").write_text("from harness.strategies.chat import probe\n")
    assert import_circles(import_graph(package)) == [
        ["harness.masking.probe", "harness.strategies", "harness.strategies.chat"]
    ]
