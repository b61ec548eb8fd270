"""`platform diff` and `platform review` say what `pulumi up` does, in the engine's order:
how many steps, and which run before a refusal stops `up`."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.components.stack_deployments import REVIEW_GATE
from platform_cli import main
from platform_cli.diff import diff_runs
from platform_cli.review import review_stack
from platform_cli.runner import PROJECT_DIR
from tests.conftest import stack_document
from tests.planview import PlanView


def _write(folder: Path, edit: Callable[[dict[str, Any]], None], stack: str = "prod") -> Path:
    document = stack_document(stack)
    edit(document["config"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def _move_database(config: dict[str, Any]) -> None:
    config["platform:database"]["region"] = "FRA1"


def test_a_refused_diff_says_which_steps_run_before_up_stops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = _write(tmp_path / "new", _move_database)
    code = main(
        ["diff", "--config", str(edited), "--against", str(PROJECT_DIR / "Pulumi.prod.yaml")]
    )
    out = capsys.readouterr().out
    assert code == 3
    # Whatever stops `up`, the reviewer sees how far it gets first.
    assert "then `up` stops at" in out, out
    assert "`pulumi up` step by step" in out


def test_a_renamed_cluster_counts_as_pulumi_counts_it(
    prod: PlanView, plan_config: Callable[..., PlanView]
) -> None:
    def rename(config: dict[str, Any]) -> None:
        for cluster in config["platform:clusters"]:
            if cluster["name"] == "newyork":
                cluster["name"] = "nyc"
        for app in config["platform:apps"]:
            labels = app.get("placement", {}).get("matchLabels", {})
            if labels.get("cluster") == "newyork":
                labels["cluster"] = "nyc"
        # Alert routes may name only clusters the stack has.
        for route in config["platform:alerting"]["routes"]:
            if "clusters" in route:
                route["clusters"] = ["nyc" if c == "newyork" else c for c in route["clusters"]]

    changes = diff_runs(prod.run, plan_config("prod", rename).run)
    kinds = [c.kind for c in changes if c.cluster in ("newyork", "nyc")]
    # A new URN is a create and the old one a delete (with the deletes): never one replace.
    assert kinds.count("replace") == 0
    assert kinds.count("add") == kinds.count("remove") > 50


def _git(repo: Path, *args: str) -> None:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)


def test_a_base_config_that_fails_to_plan_is_an_error_not_a_new_stack(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    document = stack_document("dev")
    document["config"]["platform:domain"] = "not a domain"
    (repo / "Pulumi.dev.yaml").write_text(yaml.safe_dump(document))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "broken base")
    (repo / "Pulumi.dev.yaml").write_text((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    result = review_stack(repo, "HEAD", None, "dev", "edited")
    assert not result.added
    assert [c for c in result.changes if c.kind == "add"] == []
    assert result.errors and all(line.startswith("error: base HEAD: ") for line in result.errors)


def test_the_delivery_paths_apply_nothing_the_review_refuses() -> None:
    workflow = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / "apply.yml").read_text())
    gate = [
        step.get("run", "")
        for step in workflow["jobs"]["stacks"]["steps"]
        if "platform review --base" in step.get("run", "") and "--list" not in step.get("run", "")
    ]
    assert gate and 'test "$status" -le 1' in gate[0]
    assert workflow["jobs"]["up"]["needs"] == "stacks"
    # Pulumi Deployments runs the same review before `up` (tests/delivery/test_deployments
    # checks the settings carry these commands).
    assert any("platform review" in c and "test $? -le 1" in c for c in REVIEW_GATE)
