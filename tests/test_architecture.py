"""The shape of the house (issue 24), read from the source: no import cycle between files
(function-local imports counted), no private name taken from another module, short functions
outside the UI, few modules loose at the top of the package. The layers themselves are held by
import-linter (`lint-imports`, configured in pyproject.toml)."""

from __future__ import annotations

from tests.architecture import PACKAGE, cycles, function_lengths, import_graph, private_uses

MAX_FUNCTION_LINES = 60


def test_the_checker_finds_a_cycle_and_its_members():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]


def test_the_import_graph_sees_function_local_and_package_imports():
    graph = import_graph()
    assert "ganlab.kinds.toy_experiment" in graph["ganlab.kinds.toy"]  # imported inside a method
    assert "ganlab.storage.safefs" in graph["ganlab.kinds.image"]  # `from ganlab.storage import safefs`


def test_no_import_cycle_between_files():
    assert cycles(import_graph()) == []


def test_no_module_takes_another_modules_private_name():
    assert private_uses() == []


def test_no_function_over_60_lines_outside_the_ui():
    long = [f"{where} ({n} lines)" for where, n in function_lengths()
            if n > MAX_FUNCTION_LINES and not where.startswith("ganlab/ui/")]
    assert long == []


def test_at_most_three_modules_loose_in_the_package():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert len(loose) <= 3, loose
