"""Import-linter contract types of our own: no import cycles between modules.

import-linter's built-in ``acyclic_siblings`` contract looks at packages as a whole (``concerns``
and ``actions`` would form a cycle because actions' services read concerns' models while concerns'
services call actions' services). Our rule is about modules: a module never reaches itself again
by following imports. This contract finds every strongly connected group of modules in the graph
and reports one cycle for each.
"""

from __future__ import annotations

from typing import Any, cast

import grimp
from importlinter.application import contract_utils, output
from importlinter.application.contract_utils import AlertLevel
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class AcyclicModulesContract(Contract):
    """No module under ``packages`` imports itself back through any chain of imports.

    Options: ``packages`` (the packages to look inside), ``ignore_imports`` (import expressions to
    leave out, as in the built-in contracts).
    """

    type_name = "acyclic_modules"

    packages = fields.SetField(subfield=fields.ModuleExpressionField())
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)
    unmatched_ignore_imports_alerting = fields.EnumField(AlertLevel, default=AlertLevel.ERROR)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        """Return whether the graph has no cycle between modules, with one cycle per tangle found."""
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=self.unmatched_ignore_imports_alerting,  # type: ignore[arg-type]
        )
        modules: set[str] = set()
        for expression in cast(set[Any], self.packages):
            for package in graph.find_matching_modules(expression.expression):
                modules.add(package)
                modules |= graph.find_descendants(package)
        edges = {
            module: sorted(graph.find_modules_directly_imported_by(module) & modules) for module in sorted(modules)
        }
        cycles = [_one_cycle(group, edges) for group in _tangles(edges)]
        return ContractCheck(
            kept=not cycles,
            warnings=list(removal.warnings),
            metadata={"cycles": cycles},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        """Print each cycle as a chain of imports that comes back to where it started."""
        for cycle in check.metadata["cycles"]:
            output.print_error(" -> ".join([*cycle, cycle[0]]), bold=False)
            output.new_line()


def _tangles(edges: dict[str, list[str]]) -> list[list[str]]:
    """Return the strongly connected groups of more than one module (or a module importing itself).

    Tarjan's algorithm, written without recursion so a deep graph cannot hit the recursion limit.
    """
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = lowlink[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = edges.get(node, [])
            if position < len(targets):
                work.append((node, position + 1))
                target = targets[position]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    lowlink[node] = min(lowlink[node], index[target])
                continue
            if lowlink[node] == index[node]:
                group: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1 or node in edges.get(node, []):
                    groups.append(sorted(group))
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[node])
    return groups


def _one_cycle(group: list[str], edges: dict[str, list[str]]) -> list[str]:
    """Return a shortest cycle through the first module of ``group`` (breadth-first inside the group)."""
    start = group[0]
    members = set(group)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for target in edges.get(node, []):
                if target not in members:
                    continue
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return list(reversed(path))
                if target not in came_from:
                    came_from[target] = node
                    following.append(target)
        frontier = following
    return [start]
