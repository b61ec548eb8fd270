"""Where the commands write by default, and how the plan tree reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from platform_cli import bench, graph, main
from platform_cli.plan import _tree_lines
from platform_cli.runner import PROJECT_DIR
from tests.planview import PlanView


def test_a_quick_bench_never_replaces_the_committed_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    written: list[Path] = []

    def record(out: Path, *_: Any) -> int:
        written.append(out)
        return 0

    monkeypatch.setattr(bench, "command", record)
    assert main(["bench", "--quick"]) == 0
    assert main(["bench"]) == 0
    assert written == [
        PROJECT_DIR / "build" / "bench-quick.md",
        PROJECT_DIR / "bench" / "RESULTS.md",
    ]


def test_graph_writes_the_projects_docs_from_anywhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    written: list[Path] = []

    def record(_path: Path, out: Path, *_: Any) -> int:
        written.append(out)
        return 0

    monkeypatch.setattr(graph, "command", record)
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "--stack", "dev"]) == 0
    assert written == [PROJECT_DIR / "docs"]


def test_stack_level_resources_are_not_listed_under_a_cluster(prod: PlanView) -> None:
    lines = _tree_lines(prod.run)
    settings = next(i for i, line in enumerate(lines) if "zoneSetting:ZoneSetting" in line)
    first_component = next(i for i, line in enumerate(lines) if "platform:index:" in line)
    assert lines[settings].startswith("  ") and not lines[settings].startswith("   " * 2)
    assert settings < first_component


def test_the_header_says_how_many_are_components(prod: PlanView) -> None:
    components = sum(1 for r in prod.resources if not r.custom)
    assert _tree_lines(prod.run)[0] == (
        f"stack prod: {len(prod.resources)} resources ({components} of them components)"
    )
