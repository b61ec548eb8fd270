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
import yaml

from infra.rules import PLAN_RULES, StackPlan
from platform_cli import delivery
from platform_cli.plan import read_valid
from platform_cli.runner import PROJECT_DIR
from tests.conftest import stack_document
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


def _pulumi_cloud_token(config: dict[str, Any]) -> None:
    config["pulumiservice:accessToken"] = {"secure": "v1:c2VjcmV0"}


PREVIEWS_WITHOUT_A_RUNNER = (
    "error: platform:delivery.previewRunnerLabels: required with pullRequestPreviews: a "
    "preview runs the pull request's code, so it needs a runner of its own, which no "
    "`up` ever uses (README, Delivery)"
)
NO_AWS_ROLE = (
    "error: platform:delivery.awsRoleArn: required: Pulumi Deployments gives a deployment "
    "no AWS credentials of its own, and every stack writes to AWS (IAM users, Secrets "
    "Manager); name the role a deployment assumes with Pulumi's OIDC token (README, "
    "Pulumi Deployments)"
)


def _deployments_with(**fields: Any) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        config["platform:delivery"] = {
            "via": "pulumi-deployments",
            "organization": "example-org",
            "repository": "example-org/platform",
            "agentPoolId": "pool",
            "egressCidrs": ["203.0.113.10/32"],
            **fields,
        }

    return edit


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
        "Pulumi's hosted pool, no AWS role, and previews of production pull requests",
        _deployments_for_prod,
        [
            HOSTED_POOL,
            NO_AWS_ROLE,
            "error: platform:delivery.pullRequestPreviews: a production stack's pull-request "
            "previews would run the branch's code with the stack's credentials and a "
            "read-write stack token (Pulumi Deployments has no approval step); leave it off, "
            "or deliver the stack with github-actions, whose previews of production wait "
            "for an approval",
        ],
    ),
    (
        "previews without a runner of their own",
        _delivery(pullRequestPreviews=True),
        [PREVIEWS_WITHOUT_A_RUNNER],
    ),
    (
        "previews on the apply runner",
        _delivery(pullRequestPreviews=True, previewRunnerLabels=["self-hosted", "platform-prod"]),
        [
            "error: platform:delivery.previewRunnerLabels: every label is one of runnerLabels, "
            "so the apply runner, which has them all, takes previews and runs a pull "
            "request's code; add a label only the preview runner has"
        ],
    ),
    (
        "a preview runner that takes applies",
        _delivery(
            pullRequestPreviews=True,
            previewRunnerLabels=["self-hosted", "linux", "platform-prod", "preview"],
        ),
        [
            "error: platform:delivery.runnerLabels: every label is one of "
            "previewRunnerLabels, so the preview runner, which has them all, takes `up` jobs "
            "after running pull requests' code; add a label only the apply runner has"
        ],
    ),
    (
        "a preview runner hosted by GitHub",
        _delivery(pullRequestPreviews=True, previewRunnerLabels=["ubuntu-24.04"]),
        [
            "error: platform:delivery.previewRunnerLabels[0]: 'ubuntu-24.04' is a "
            "GitHub-hosted runner: it leaves from GitHub's changing Azure ranges, which "
            "adminCidrs cannot list, so `pulumi up` cannot reach the clusters; use a "
            "self-hosted runner whose address is in delivery.egressCidrs"
        ],
    ),
    (
        "an AWS role that is not a role",
        _deployments_with(awsRoleArn="arn:aws:iam::123456789012:user/deployer"),
        [
            "error: platform:delivery.awsRoleArn: 'arn:aws:iam::123456789012:user/deployer' "
            "is not an IAM role ARN such as 'arn:aws:iam::123456789012:role/platform-deploy'"
        ],
    ),
    (
        "the Pulumi Cloud token stack-defined settings needed",
        _pulumi_cloud_token,
        [
            "error: pulumiservice:accessToken: no resource of the platform's stacks uses it "
            "(Deployments settings live in deployments/, whose own stack holds its token), "
            "and every preview decrypts it: `pulumi config rm pulumiservice:accessToken` "
            "(docs/runbooks/change-delivery-path.md)"
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


def _listed(
    via: str | None = None,
    stacks: str | None = None,
    *,
    previews: bool = False,
    invalid: Path | None = None,
    repo: Path = PROJECT_DIR,
) -> tuple[int, Any, str]:
    out, err = io.StringIO(), io.StringIO()
    code = delivery.command(
        repo, via, stacks, previews=previews, invalid_file=invalid, stdout=out, stderr=err
    )
    return code, json.loads(out.getvalue()) if out.getvalue() else None, err.getvalue()


PROD = {
    "stack": "prod",
    "via": "github-actions",
    "organization": "example-org",
    "project": "platform",
    "awsRegion": "eu-west-2",
    "pullRequestPreviews": False,
    "runner": ["self-hosted", "linux", "platform-prod"],
}


def test_platform_delivery_lists_what_each_path_runs() -> None:
    code, actions, _ = _listed("github-actions")
    assert (code, actions) == (0, [PROD])
    assert [e["stack"] for e in _listed("pulumi-deployments")[1]] == ["dev"]
    # What a pull request touched, narrowed to the stacks GitHub Actions delivers.
    assert _listed("github-actions", '["dev"]')[1] == []
    assert _listed("github-actions", '["dev", "prod"]')[1] == actions


def _repo(tmp_path: Path, **stacks: dict[str, Any]) -> Path:
    """A folder of stack files: prod's, edited, under each name given."""
    for name, delivery_ in stacks.items():
        document = stack_document("prod")
        document["config"]["platform:delivery"] = delivery_
        (tmp_path / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(document))
    return tmp_path


PROD_DELIVERY = stack_document("prod")["config"]["platform:delivery"]


def test_previews_run_only_for_stacks_whose_config_turns_them_on(tmp_path: Path) -> None:
    """review.yml previews `--previews` stacks: prod's example config leaves them off (an
    approved preview would hand the branch every secret of prod); a stack that turns
    them on names the preview runner, never the apply runner."""
    assert _listed("github-actions", '["prod"]', previews=True)[:2] == (0, [])
    repo = _repo(
        tmp_path,
        prod=PROD_DELIVERY,
        staging={
            **PROD_DELIVERY,
            "pullRequestPreviews": True,
            "previewRunnerLabels": ["self-hosted", "linux", "platform-staging-preview"],
        },
    )
    code, found, _ = _listed("github-actions", '["prod", "staging"]', previews=True, repo=repo)
    assert code == 0
    assert [(e["stack"], e["previewRunner"]) for e in found] == [
        ("staging", ["self-hosted", "linux", "platform-staging-preview"])
    ]


def test_an_invalid_stack_config_stops_only_itself(tmp_path: Path) -> None:
    """The list holds every valid stack; a stack whose config does not validate is named
    with its errors in the --invalid file (when its `platform:delivery.via` is the path
    listed, or cannot be read), and a stack not asked for is not read at all."""
    broken = {**PROD_DELIVERY, "runnerLabels": []}
    repo = _repo(
        tmp_path,
        prod=PROD_DELIVERY,
        broken=broken,
        elsewhere={**broken, "via": "pulumi-deployments"},
    )
    (repo / "Pulumi.unreadable.yaml").write_text("config: [\n")
    assert _listed("github-actions", '["prod"]', repo=repo) == (0, [{**PROD, "stack": "prod"}], "")

    invalid = tmp_path / "invalid.json"
    code, found, err = _listed("github-actions", invalid=invalid, repo=repo)
    assert (code, [e["stack"] for e in found], err) == (0, ["prod"], "")
    named = {e["stack"]: e["errors"] for e in json.loads(invalid.read_text())}
    assert sorted(named) == ["broken", "unreadable"]
    assert named["broken"] == [
        "error: platform:delivery.runnerLabels: List should have at least 1 item after "
        "validation, not 0"
    ]
    deployments = _listed("pulumi-deployments", invalid=invalid, repo=repo)[:2]
    assert deployments == (0, [])
    assert sorted(e["stack"] for e in json.loads(invalid.read_text())) == [
        "elsewhere",
        "unreadable",
    ]

    # Without --invalid (a person at a terminal): the valid list, each error named by its
    # file, exit 2.
    code, found, err = _listed("github-actions", repo=repo)
    assert (code, [e["stack"] for e in found]) == (2, ["prod"])
    assert err.splitlines()[0].startswith("error: Pulumi.broken.yaml: platform:delivery.")


def test_platform_delivery_refuses_bad_input(tmp_path: Path) -> None:
    assert _listed("github-actions", "prod")[0] == 2
    (tmp_path / "Pulumi.broken.yaml").write_text("config:\n  platform:domain: x\n")
    code, _, err = _listed("github-actions", repo=tmp_path)
    assert code == 2 and err.startswith("error: Pulumi.broken.yaml: platform:")
