"""The package layout: subpackages by layer, the layers contract, and no import cycles.

``docs/ARCHITECTURE.md`` describes the layers; ``pyproject.toml`` ([tool.importlinter]) states
them as an import-linter contract. These tests fail on a forbidden import or a cycle.
"""

from __future__ import annotations

import os
from pathlib import Path

import grimp
import pytest
from importlinter.cli import lint_imports

REPO = Path(__file__).resolve().parents[1]


def test_layers_contract_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert lint_imports(config_filename=str(REPO / "pyproject.toml")) == 0


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("wzgeo", exclude_type_checking_imports=True, cache_dir=None)


def _cycles(graph: grimp.ImportGraph) -> list[str]:
    """Each import a → b for which b also reaches a (directly or around a loop)."""
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if graph.chain_exists(importer=imported, imported=importer):
                chain = graph.find_shortest_chain(importer=imported, imported=importer)
                cycles.append(f"{importer} -> {' -> '.join(chain or ())}")
    return cycles


def test_no_two_modules_import_each_other_even_around_a_loop(graph: grimp.ImportGraph) -> None:
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_a_cycle_would_be_found() -> None:
    """The cycle check above can fail: one back edge across three layers is reported."""
    g = grimp.build_graph("wzgeo", exclude_type_checking_imports=True, cache_dir=None)
    g.add_import(importer="wzgeo.plan.data", imported="wzgeo.analysis.plotcheck")
    found = _cycles(g)
    assert any(c.startswith("wzgeo.plan.data -> wzgeo.analysis.plotcheck") for c in found), found


def test_at_most_ten_modules_at_the_top() -> None:
    top = sorted(p.name for p in (REPO / "wzgeo").glob("*.py"))
    assert len(top) <= 10, top
    subpackages = {p.parent.name for p in (REPO / "wzgeo").glob("*/__init__.py")}
    assert {
        "plan",
        "geo",
        "plots",
        "analysis",
        "store",
        "reports",
        "maps",
        "app",
        "cli",
    } <= subpackages


def test_tests_mirror_the_layout() -> None:
    """Every test module sits in the folder of the subpackage it tests (or at the top)."""
    subpackages = {p.parent.name for p in (REPO / "wzgeo").glob("*/__init__.py")}
    for dirpath, _dirs, files in os.walk(REPO / "tests"):
        rel = Path(dirpath).relative_to(REPO / "tests")
        if rel.parts and rel.parts[0] == "data":
            continue
        if any(f.startswith("test_") and f.endswith(".py") for f in files) and rel.parts:
            assert rel.parts[0] in subpackages, f"tests/{rel} matches no wzgeo subpackage"


def test_private_helpers_stay_inside_their_subpackage(graph: grimp.ImportGraph) -> None:
    """``wzgeo.<pkg>._name`` is imported only by modules of ``wzgeo.<pkg>`` (its face re-exports
    what others need)."""
    leaks = []
    for importer in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(importer):
            parts = imported.split(".")
            if (
                len(parts) == 3
                and parts[2].startswith("_")
                and not importer.startswith(".".join(parts[:2]) + ".")
            ):
                leaks.append(f"{importer} imports {imported}")
    assert not leaks, "\n".join(leaks)
