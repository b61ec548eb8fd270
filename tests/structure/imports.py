"""The project's import graph, read from the source with `ast`, and the layering rules.

Layers, lowest first; a module may import from a lower layer or its own:

0  infra/*.py            config models, validation, placement, naming, catalog, versions
1  infra/addons, infra/clusters, infra/credentials
                          resources on one cluster or account; none imports another of the three
2  infra/components       the five components, their contracts and cluster assembly;
   infra/backups          the database backups (a component with its jobs and storage)
3  stacks, policy,        the Pulumi program, the CrossGuard pack and the program of the
   deployments            stacks' Pulumi Deployments settings
4  platform_cli           offline tooling, never imported by the program
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("infra", "platform_cli", "stacks", "policy", "deployments")
SIBLINGS = ("infra.addons", "infra.clusters", "infra.credentials")

Graph = Mapping[str, set[str]]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def _imported(node: ast.AST, known: set[str]) -> Iterator[str]:
    """Project modules an import statement reaches (a `from pkg import sub` reaches sub)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
    else:
        return
    for imported in names:
        module = imported
        while module and module not in known:
            module = module.rpartition(".")[0]
        if module:
            yield module


def import_graph() -> dict[str, set[str]]:
    """module -> project modules it imports, at any depth of the file (deferred imports too)."""
    modules = project_modules()
    known = set(modules)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        graph[name] = {
            target for node in ast.walk(tree) for target in _imported(node, known) if target != name
        }
    return graph


def layer(module: str) -> int:
    if module.startswith("platform_cli"):
        return 4
    if module.startswith(("stacks", "policy", "deployments")):
        return 3
    if module.startswith(("infra.components", "infra.backups")):
        return 2
    if module.startswith(SIBLINGS):
        return 1
    return 0


def _sibling(module: str) -> str | None:
    return next((s for s in SIBLINGS if module == s or module.startswith(f"{s}.")), None)


def upward_imports(graph: Graph) -> list[str]:
    """Every import that breaks the layering, as `importer -> imported (why)`."""
    problems = []
    for source, targets in sorted(graph.items()):
        for target in sorted(targets):
            if target == "infra":
                continue  # the package itself: only its docstring
            if layer(target) > layer(source):
                problems.append(
                    f"{source} -> {target} (layer {layer(source)} imports layer {layer(target)})"
                )
            elif layer(source) == 1 and _sibling(source) != _sibling(target) and layer(target) == 1:
                problems.append(f"{source} -> {target} ({_sibling(source)} imports a sibling)")
    return problems


def cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found
