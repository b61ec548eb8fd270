"""The matrix as `platform exposure` prints it, and as the README's table."""

from __future__ import annotations

from platform_cli.exposure.matrix import Endpoint, Matrix
from platform_cli.exposure.sources import INTERNET, pods

EVERYONE = "everyone (internet)"


def shown(matrix: Matrix, reached_by: frozenset[str]) -> list[str]:
    """The sources to name: an app's pods are left out where the pods of every cluster it
    runs on are named, since those include them."""
    implied = {
        pods(app)
        for app, where in matrix.sources.apps.items()
        if where and all(pods(c) in reached_by for c in where)
    }
    return [s for s in matrix.ordered(reached_by) if s not in implied]


def cell(matrix: Matrix, endpoint: Endpoint) -> str:
    """The sources that reach an endpoint: `everyone` when the internet does, since then
    every other source does too; `nobody` when none does."""
    if INTERNET in endpoint.reached_by:
        text = EVERYONE
    else:
        text = ", ".join(shown(matrix, endpoint.reached_by)) or "nobody"
    if endpoint.via_routes:
        text += "; and through the gateway, whoever reaches its routes"
    if endpoint.credential:
        text += f"; credential held by: {endpoint.credential}"
    return text


def text_lines(matrix: Matrix) -> list[str]:
    lines = [f"stack {matrix.stack}: who reaches each endpoint (computed from the plan)"]
    current = None
    for endpoint in matrix.endpoints:
        if endpoint.cluster != current:
            current = endpoint.cluster
            lines.append(current)
        lines.append(f"  {endpoint.name}")
        lines.append(f"      {cell(matrix, endpoint)}")
        if endpoint.note:
            lines.append(f"      ({endpoint.note})")
    return lines


def markdown_table(matrix: Matrix) -> str:
    rows = [
        "| where | endpoint | reached by | note |",
        "|---|---|---|---|",
        *(f"| {e.cluster} | `{e.name}` | {cell(matrix, e)} | {e.note} |" for e in matrix.endpoints),
    ]
    return "\n".join(rows)
