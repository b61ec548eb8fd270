"""The GitHub Actions workflows pass actionlint and zizmor; a broken fixture does not."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from platform_cli.runner import PROJECT_DIR

WORKFLOWS = sorted((PROJECT_DIR / ".github" / "workflows").glob("*.yml"))
BROKEN = Path(__file__).parent / "fixtures" / "broken-workflow.yml"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed: `pip install -e .[dev]` brings it")
    return found


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("actionlint"), "-no-color", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_DIR,
    )


def zizmor(*paths: Path) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run(
        [tool("zizmor"), "--offline", "--persona=auditor", "--format=json", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_DIR,
    )
    findings: list[dict[str, Any]] = json.loads(done.stdout or "[]")
    return done.returncode, findings


def test_there_are_ci_review_and_apply_workflows() -> None:
    assert [w.name for w in WORKFLOWS] == ["apply.yml", "ci.yml", "review.yml"]


def test_actionlint_reports_nothing() -> None:
    done = actionlint(*WORKFLOWS)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_zizmor_reports_nothing() -> None:
    assert zizmor(PROJECT_DIR / ".github" / "workflows") == (0, [])


def test_the_broken_fixture_fails_both() -> None:
    done = actionlint(BROKEN)
    assert done.returncode != 0 and "potentially untrusted" in done.stdout
    code, findings = zizmor(BROKEN)
    assert code != 0
    assert {"dangerous-triggers", "template-injection", "unpinned-uses"} <= {
        f["ident"] for f in findings
    }


def _jobs(workflow: Path) -> tuple[dict[Any, Any], dict[str, dict[str, Any]]]:
    document: dict[Any, Any] = yaml.safe_load(workflow.read_text())
    return document, document["jobs"]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_hygiene(workflow: Path) -> None:
    """Pinned actions, no default permissions, OIDC and secrets only where needed."""
    document, jobs = _jobs(workflow)
    text = workflow.read_text()
    assert document["permissions"] == {}
    triggers: dict[str, Any] = document.get("on") or document[True]  # YAML 1.1: `on` is True
    assert not {"pull_request_target", "workflow_run"} & set(triggers)
    for name, job in jobs.items():
        steps = job.get("steps", [])
        uses = [s["uses"] for s in steps if "uses" in s]
        assert all(PINNED.match(u) for u in uses), (name, uses)
        assert "permissions" in job, name
        aws = any(u.startswith("aws-actions/configure-aws-credentials@") for u in uses)
        assert (job["permissions"].get("id-token") == "write") == aws, name
        if "secrets." in yaml.safe_dump(job):
            assert "environment" in job, f"{name} reads secrets outside an environment"
    for line in text.splitlines():
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40} # v\d", line), line
