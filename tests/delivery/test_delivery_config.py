"""`platform:delivery`: one path per stack, chosen in the config; a path that could not
reach the stack's endpoints, or would hand a branch production's credentials, is an
`error:` from `platform plan`, not a warning. `platform delivery` lists what each path
runs, as the workflows read it."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.rules import PLAN_RULES, StackPlan
from platform_cli import delivery
from platform_cli.plan import read_valid
from platform_cli.runner import PROJECT_DIR
from tests.planview import PlanView

Edit = Callable[[dict[str, Any]], None]
HOSTED_POOL = (
    "error: platform:delivery.agentPoolId: required: Pulumi's hosted pool leaves from "
    "addresses outside adminCidrs, so its `up` cannot reach the Kubernetes APIs or the "
    "database; run a customer-managed agent pool whose address is in delivery.egressCidrs"
)


def _delivery(**fields: Any) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        config["platform:delivery"].update(fields)

    return edit


def _deployments_for_prod(config: dict[str, Any]) -> None:
    config["platform:delivery"] = {
        "via": "pulumi-deployments",
        "organization": "example-org",
        "repository": "example-org/platform",
        "egressCidrs": ["203.0.113.10/32"],
        "pullRequestPreviews": True,
    }


def _old_deployments_key(config: dict[str, Any]) -> None:
    del config["platform:delivery"]
    config["platform:deployments"] = {"organization": "o", "repository": "o/platform"}


CASES: list[tuple[str, Edit, list[str]]] = [
    (
        "a GitHub-hosted runner",
        _delivery(runnerLabels=["ubuntu-24.04"]),
        [
            "error: platform:delivery.runnerLabels[0]: 'ubuntu-24.04' is a GitHub-hosted "
            "runner: it leaves from GitHub's changing Azure ranges, which adminCidrs cannot "
            "list, so `pulumi up` cannot reach the clusters; use a self-hosted runner whose "
            "address is in delivery.egressCidrs"
        ],
    ),
    (
        "Pulumi's hosted pool, and previews of production pull requests",
        _deployments_for_prod,
        [
            HOSTED_POOL,
            "error: platform:delivery.pullRequestPreviews: a production stack's pull-request "
            "previews would run the branch's code with the stack's credentials and a "
            "read-write stack token (Pulumi Deployments has no approval step); leave it off, "
            "or deliver the stack with github-actions, whose previews of production wait "
            "for an approval",
        ],
    ),
    (
        "an unknown path",
        _delivery(via="gitlab"),
        [
            "error: platform:delivery.via: unknown via 'gitlab'; expected one of "
            "'github-actions', 'pulumi-deployments'"
        ],
    ),
    (
        "a misspelt key",
        _delivery(runnerLabel=["self-hosted"]),
        ["error: platform:delivery.runnerLabel: unknown key; did you mean 'runnerLabels'?"],
    ),
    (
        "the key of earlier versions",
        _old_deployments_key,
        [
            "error: platform:deployments: unknown key; it moved to platform:delivery, with "
            "`via: pulumi-deployments` and `egressCidrs` (README, Delivery)"
        ],
    ),
]


@pytest.mark.parametrize(("case", "edit", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_delivery_mistake_exits_2_naming_the_key(
    case: str,
    edit: Edit,
    expected: list[str],
    plan_errors: Callable[..., tuple[int, list[str]]],
) -> None:
    assert plan_errors(edit, "prod") == (2, expected), case


def _outside_the_walls(plan: PlanView, egress: str) -> list[str]:
    config = read_valid(PROJECT_DIR / f"Pulumi.{plan.stack}.yaml")[1].config
    assert config.delivery is not None
    moved = config.model_copy(
        update={"delivery": config.delivery.model_copy(update={"egress_cidrs": [egress]})}
    )
    rule = next(r for r in PLAN_RULES if r.name == "runner-reaches-endpoints")
    return [v.resource for v in rule.violations(StackPlan(plan.stack, moved, plan.resources))]


def test_a_runner_outside_admin_cidrs_is_an_error_for_every_endpoint(prod: PlanView) -> None:
    """Computed from the planned firewalls: every Kubernetes API (Civo firewalls, the
    Vultr cluster's firewall group) and the database."""
    assert _outside_the_walls(prod, "203.0.113.10/32") == []
    assert sorted(_outside_the_walls(prod, "192.0.2.10/32")) == [
        "chicago",
        "frankfurt-firewall",
        "london-firewall",
        "mgmt-firewall",
        "newyork-firewall",
        "shared-firewall",
    ]


def test_platform_plan_exits_2_for_a_runner_the_firewalls_refuse(
    plan_errors: Callable[..., tuple[int, list[str]]],
) -> None:
    code, lines = plan_errors(_delivery(egressCidrs=["192.0.2.10/32"]))
    assert code == 2
    errors = [line for line in lines if line.startswith("error: rule runner-reaches-endpoints:")]
    assert {line.split(": ")[2] for line in errors} == {
        "mgmt-firewall",
        "london-firewall",
        "frankfurt-firewall",
        "shared-firewall",
    }
    assert (
        "error: rule runner-reaches-endpoints: shared-firewall: does not admit "
        "platform:delivery.egressCidrs 192.0.2.10/32 to the database (port 5432): the "
        "pulumi-deployments runner's `preview` and `up` cannot reach it; run the runner "
        "from an address in adminCidrs"
    ) in errors
    assert not any("delivery" in line for line in lines if line.startswith("warning:"))


def _listed(*args: str, repo: Path = PROJECT_DIR) -> tuple[int, Any, str]:
    out, err = io.StringIO(), io.StringIO()
    via = args[0] if args else None
    stacks = args[1] if len(args) > 1 else None
    code = delivery.command(repo, via, stacks, out, err)
    return code, json.loads(out.getvalue()) if code == 0 else None, err.getvalue()


def test_platform_delivery_lists_what_each_path_runs() -> None:
    code, actions, _ = _listed("github-actions")
    assert code == 0
    assert actions == [
        {
            "stack": "prod",
            "via": "github-actions",
            "organization": "example-org",
            "awsRegion": "eu-west-2",
            "runner": ["self-hosted", "linux", "platform-prod"],
        }
    ]
    assert [e["stack"] for e in _listed("pulumi-deployments")[1]] == ["dev"]
    # What a pull request touched, narrowed to the stacks GitHub Actions delivers.
    assert _listed("github-actions", '["dev"]')[1] == []
    assert _listed("github-actions", '["dev", "prod"]')[1] == actions


def test_platform_delivery_refuses_bad_input(tmp_path: Path) -> None:
    assert _listed("github-actions", "prod")[0] == 2
    (tmp_path / "Pulumi.broken.yaml").write_text("config:\n  platform:domain: x\n")
    code, _, err = _listed("github-actions", repo=tmp_path)
    assert code == 2 and err.startswith("error: platform:")
