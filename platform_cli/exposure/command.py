"""`platform exposure`: the matrix for one stack, from its offline plan."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from infra.validation import ValidConfig
from platform_cli.exposure.matrix import Matrix
from platform_cli.exposure.reach import matrix_of
from platform_cli.exposure.render import markdown_table, text_lines
from platform_cli.exposure.sources import Sources
from platform_cli.exposure.widening import deleted_namespaces, widened
from platform_cli.grouping import Located
from platform_cli.plan import InvalidConfigError, read_valid
from platform_cli.runner import PlanRun, run_program


def matrix_of_run(valid: ValidConfig, run: PlanRun, sources: Sources | None = None) -> Matrix:
    """The matrix of one planned stack; ``sources`` names the addresses when the run
    itself cannot (a plan read back from resources.json)."""
    found = sources or Sources.of(
        valid.config, valid.placement.clusters_of, run.stack_outputs, run.lookups
    )
    return matrix_of(run.stack, valid.config, found, run.registrations)


def edit_warnings(
    old: tuple[Path, PlanRun], new: tuple[Path, PlanRun], stack: str, changes: Sequence[Located]
) -> list[str]:
    """`warning:` lines for an edit: each endpoint it opens to a wider source, and each
    namespace it deletes. A side read back from resources.json (older code) has no
    lookups or outputs: the other side's name the addresses."""
    (old_path, old_run), (new_path, new_run) = old, new
    matrices = []
    synced: set[str] = set()
    for path, run in ((old_path, old_run), (new_path, new_run)):
        valid = read_valid(path, stack)[1]
        synced |= {app.target_namespace for app in valid.config.apps}
        sources = Sources.of(
            valid.config,
            valid.placement.clusters_of,
            run.stack_outputs or new_run.stack_outputs,
            run.lookups or new_run.lookups,
        )
        matrices.append(matrix_of_run(valid, run, sources))
    deleted = [
        (
            c.kind,
            c.resource.type,
            str((c.resource.revealed_inputs.get("metadata") or {}).get("name")),
            c.cluster,
        )
        for c in changes
    ]
    return [*widened(matrices[0], matrices[1]), *deleted_namespaces(deleted, synced)]


def exposure_of(path: Path, stack: str | None = None) -> Matrix:
    stack_file, valid, _ = read_valid(path, stack)
    return matrix_of_run(valid, run_program(stack_file))


def command(path: Path, markdown: bool, stdout: TextIO, stderr: TextIO) -> int:
    try:
        matrix = exposure_of(path)
    except InvalidConfigError as err:
        return err.report(stderr)
    lines = [markdown_table(matrix)] if markdown else text_lines(matrix)
    for line in lines:
        print(line, file=stdout)
    return 0
