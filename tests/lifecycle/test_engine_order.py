"""`platform diff` and `platform review` say what `pulumi up` does, in the engine's order:
how many steps, and which run before a refusal stops `up`."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.components.stack_deployments import REVIEW_GATE
from platform_cli import main
from platform_cli.diff import REFUSED, Change, diff_runs, outcome, render_markdown
from platform_cli.lifecycle.checks import APP_PROJECT, APPLICATION_SET, findings
from platform_cli.lifecycle.order import Graph, engine_order
from platform_cli.review import review_stack
from platform_cli.runner import PROJECT_DIR, Registration
from tests.conftest import stack_document
from tests.delivery.workflow_behaviour import sandbox
from tests.lifecycle.scenario import Scenario
from tests.planview import PlanView, registration


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


def _gate_run(answers: dict[str, Any]) -> Any:
    """apply.yml's gate step, run with stand-ins for gh and `platform`."""
    workflow = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / "apply.yml").read_text())
    (gate,) = [
        step
        for step in workflow["jobs"]["stacks"]["steps"]
        if "platform review --base" in step.get("run", "") and "--list" not in step.get("run", "")
    ]
    with sandbox(answers) as box:
        return box.run(gate, {"github.token": "t", "github.repository": "o/r"})


def test_the_delivery_paths_apply_nothing_the_review_refuses() -> None:
    applied = {"runs": {"": [{"headSha": "c0ffee"}]}}
    # Reviewed against what the stacks are at: the last successful apply's commit.
    refused = _gate_run({**applied, "platform_exit": 3})
    assert refused.code != 0
    (review,) = refused.called("platform", "review")
    assert review["args"][review["args"].index("--base") + 1] == "c0ffee"
    assert _gate_run({**applied, "platform_exit": 2}).code != 0
    assert _gate_run({**applied, "platform_exit": 1}).code == 0
    # Fails closed: a crash exits 1 like "changes", but writes no review.
    assert _gate_run({**applied, "platform_exit": 1, "review_crash": True}).code != 0
    # Before any apply succeeded there is nothing applied to review against.
    first = _gate_run({"platform_exit": 3})
    assert first.code == 0 and first.called("platform", "review") == []
    # `up` waits for the gate's job, and runs only when it passed.
    workflow = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / "apply.yml").read_text())
    needs = workflow["jobs"]["up"]["needs"]
    assert "stacks" in ([needs] if isinstance(needs, str) else needs)
    assert "needs.stacks.result == 'success'" in workflow["jobs"]["up"]["if"]
    # Pulumi Deployments runs the same review before `up` (tests/delivery/test_deployments
    # checks the settings carry these commands).
    assert any(
        "platform review" in c and "grep -q '<!-- platform-review -->'" in c for c in REVIEW_GATE
    )


# What DeleteStep.Apply makes of a replacement's delete (pulumi/pulumi step.go L644-665):
# only the protect check is skipped; retainOnDelete and deletedWith still apply.
OWNER, INSIDE, KEPT = "test:index:Owner", "test:index:Inside", "test:index:Kept"


def _replaced(r: Registration, delete_first: bool = False) -> Change:
    return Change("replace", r, "stack", "global", reasons=["test"], delete_first=delete_first)


def test_a_replacement_forgets_a_retained_old_one_and_deletes_with_its_owner() -> None:
    owner = registration(OWNER, "owner", {"size": 1})
    inside = registration(INSIDE, "inside", {"v": 1}, deleted_with=owner.urn)
    kept = registration(KEPT, "kept", {"v": 1}, retain_on_delete=True)
    old = [owner, inside, kept]
    order = engine_order([_replaced(r) for r in old], old, old)
    verbs = {s.resource.name: s.verb for s in order.steps if s.verb not in ("replace",)}
    assert verbs == {"owner": "delete", "inside": "with", "kept": "forget"}
    # Delete-first: the same, and the old one it replaces is forgotten when retained.
    first = engine_order([_replaced(kept, delete_first=True)], [kept], [kept])
    assert [s.verb for s in first.steps] == ["forget", "create"]


def test_a_retained_database_moved_is_forgotten_with_what_it_sits_in(
    tmp_path: Path, prod: PlanView
) -> None:
    scenario = Scenario(tmp_path, "prod", planned=prod.run)
    scenario.up("unprotect", lambda c: c["platform:database"].__setitem__("protect", False))
    move = scenario.up("move", _move_database)
    old = {
        (s.resource.type, s.resource.name): s.verb
        for s in move.order.ran
        if s.verb not in ("create", "replace", "update")
    }
    for kept in (
        ("civo:index/database:Database", "shared"),
        ("civo:index/network:Network", "shared-network"),
        ("civo:index/firewall:Firewall", "shared-firewall"),
    ):
        assert old[kept] == "forget", (kept, old[kept])
    # retainOnDelete keeps the old instance and its data: nothing to alarm about.
    assert move.data_deleted == []


def test_the_steps_do_not_depend_on_the_order_of_the_diff(
    tmp_path: Path, stack_plans: dict[str, PlanView]
) -> None:
    scenario = Scenario(tmp_path, "dev", planned=stack_plans["dev"].run)
    before = scenario.run.registrations
    move = scenario.up("move", _move_database)
    after = scenario.run.registrations
    backwards = engine_order(list(reversed(move.changes)), before, after)
    assert [s.line() for s in backwards.steps] == [s.line() for s in move.order.steps]
    steps = move.order.steps
    late = [
        s.line()
        for i, s in enumerate(steps)
        if "the old one goes with the deletes" in s.note
        and any(e.urn == s.urn and e.verb in ("delete", "with", "forget") for e in steps[:i])
    ]
    assert late == []


def test_a_stop_counts_as_run_only_what_it_waits_for(tmp_path: Path, prod: PlanView) -> None:
    scenario = Scenario(tmp_path, "prod", planned=prod.run)
    up = scenario.up("move", _move_database)
    stop = up.order.stop
    assert stop is not None
    waits_for = Graph(scenario.run.registrations).upstream(stop.urn)
    assert all(s.urn in waits_for for s in up.order.ran)
    assert all(s.urn not in waits_for for s in up.order.alongside)
    # The engine takes registrations as they arrive: what else starts first is timing.
    summary = up.order.summary()
    assert summary.startswith(f"at least {len(up.order.ran)} step(s) run"), summary
    assert "may start before it" in summary and "never run" in summary


def test_a_civo_database_deleted_with_its_network_says_to_rerun(
    tmp_path: Path, stack_plans: dict[str, PlanView]
) -> None:
    scenario = Scenario(tmp_path, "dev", planned=stack_plans["dev"].run)
    destroy = scenario.up("destroy", None)
    network = next(s for s in destroy.order.ran if s.resource.name == "shared-network")
    # terraform-provider-civo v1.1.4 resource_database.go L284-298 does not wait; civogo
    # v0.3.89 errors.go L584-586: the network's delete fails while the database exists.
    assert network.verb == "delete" and "rerun" in network.note, network.line()


def _without_blog(config: dict[str, Any]) -> None:
    config["platform:apps"] = [a for a in config["platform:apps"] if a["name"] != "blog"]


def test_platform_diff_warns_of_the_data_a_removed_app_drops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = _write(tmp_path / "new", _without_blog, stack="dev")
    summary = tmp_path / "diff.md"
    code = main(
        [
            "diff",
            "--config",
            str(edited),
            "--against",
            str(PROJECT_DIR / "Pulumi.dev.yaml"),
            "--markdown",
            str(summary),
        ]
    )
    err = capsys.readouterr().err
    # resource_postgresql_database.go L281-291: the provider's delete drops the database.
    assert "warning: `up` deletes data: shared-blog-database: DROP DATABASE" in err, err
    caution = summary.read_text().split("> [!CAUTION]", 1)[1].split("\n\n", 1)[0]
    assert "`shared-blog-database`: DROP DATABASE" in caution, caution
    assert code == 1  # deleting the data may be what the edit wants


def test_a_delete_that_cannot_finish_fails_diff_and_review() -> None:
    provider = "urn:pulumi:s::p::pulumi:providers:kubernetes::mgmt::id"
    argocd = replace(
        registration("kubernetes:helm.sh/v3:Release", "argocd", {"chart": "argo-cd"}),
        provider=provider,
    )
    project = replace(
        registration(
            APP_PROJECT, "project", {"metadata": {"name": "apps"}}, dependencies=[argocd.urn]
        ),
        provider=provider,
    )
    app_set = replace(
        registration(
            APPLICATION_SET,
            "app",
            {"spec": {"template": {"spec": {"project": "apps"}}}},
            dependencies=[argocd.urn],  # not on the project: both go in one round
        ),
        provider=provider,
    )
    old = [argocd, project, app_set]
    changes = [Change("remove", r, "stack", "global") for r in (project, app_set)]
    order = engine_order(changes, old, [argocd])
    found = findings(order, old)
    assert found.problems and "app waits for Argo CD" in found.problems[0]
    # Not an edit `up` completes wrongly (2): `up` fails, as on a rejected change.
    assert outcome(changes, found) == REFUSED
    caution = render_markdown(changes, "t", order, found).split("> [!CAUTION]")[-1]
    assert "cannot finish" in caution and found.problems[0] in caution


def test_the_review_comment_shows_the_data_an_edit_drops(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Pulumi.dev.yaml").write_text((PROJECT_DIR / "Pulumi.dev.yaml").read_text())
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "base")
    _write(repo, _without_blog, stack="dev")
    _git(repo, "commit", "-qam", "remove blog")
    out = tmp_path / "review.md"
    code = main(
        ["review", "--repo", str(repo), "--base", "HEAD~1", "--head", "HEAD", "--out", str(out)]
    )
    cautions = out.read_text().split("> [!CAUTION]")[1:]
    assert any("`shared-blog-database`: DROP DATABASE" in c for c in cautions), out.read_text()
    assert code == 1
