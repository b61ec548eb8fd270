"""The real-world rule set: every rule catches its fixture (a small Pulumi program that
breaks it) through `platform plan`, and the shipped stacks break none of them."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from infra.rules import (
    GUARDRAILS,
    PLAN_RULES,
    STACKS_RULES,
    StackPlan,
    plan_violations,
    violations,
)
from infra.rules.real_world import RULES, match_filter
from platform_cli import main
from platform_cli.plan import read_valid
from platform_cli.runner import PROJECT_DIR
from tests.conftest import stack_document
from tests.planview import PlanView

FIXTURES = Path(__file__).parent / "fixtures"
NEW_RULES = [r.name for r in RULES] + [r.name for r in PLAN_RULES]


def test_every_rule_has_a_fixture() -> None:
    assert sorted(p.stem.replace("_", "-") for p in FIXTURES.glob("*.py")) == sorted(NEW_RULES)


@pytest.mark.parametrize("rule", NEW_RULES)
def test_platform_plan_exits_2_naming_the_rule_its_fixture_breaks(
    rule: str, capsys: pytest.CaptureFixture[str]
) -> None:
    program = FIXTURES / f"{rule.replace('-', '_')}.py"
    code = main(["plan", "--stack", "dev", "--program", str(program), "--out", "build/fixture"])
    errors = capsys.readouterr().err.splitlines()
    assert code == 2
    assert any(line.startswith(f"error: rule {rule}: fixture-") for line in errors), errors


def _stack_plan(plan: PlanView) -> StackPlan:
    config = read_valid(PROJECT_DIR / f"Pulumi.{plan.stack}.yaml")[1].config
    return StackPlan(plan.stack, config, plan.resources)


def test_the_shipped_stacks_break_no_rule(stack_plans: dict[str, PlanView]) -> None:
    plans = {name: _stack_plan(plan) for name, plan in stack_plans.items()}
    for plan in plans.values():
        errors, _ = plan_violations(plan)
        assert errors == [], [str(e) for e in errors]
    assert [v for rule in STACKS_RULES for v in rule.violations(plans)] == []


def test_a_stack_that_reuses_another_stacks_names_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dev = stack_document("dev")
    for key in ("platform:apps", "platform:database"):
        dev["config"].pop(key)  # a small stack plans fast; the clusters are what collide
    staging = copy.deepcopy(dev)
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(dev))
    (tmp_path / "Pulumi.staging.yaml").write_text(yaml.safe_dump(staging))
    staging["config"]["platform:environment"] = "staging"
    (tmp_path / "Pulumi.staging.yaml").write_text(yaml.safe_dump(staging))
    assert main(["plan", "--all-stacks", "--repo", str(tmp_path)]) == 0
    capsys.readouterr()

    # The edit: staging copies dev's environment name, and with it every cloud name.
    staging["config"]["platform:environment"] = "dev"
    (tmp_path / "Pulumi.staging.yaml").write_text(yaml.safe_dump(staging))
    assert main(["plan", "--all-stacks", "--repo", str(tmp_path)]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert (
        "error: rule unique-account-names-across-stacks: stack staging: london: "
        "KubernetesCluster name 'dev-london' is also used by stack 'dev' (london): "
        "the second `up` fails on a duplicate"
    ) in errors


def test_the_ingress_nginx_variant_breaks_no_rule(
    ingress_nginx_plan: PlanView, tmp_path: Path
) -> None:
    document = stack_document("dev")
    document["config"]["platform:trafficController"] = "ingress-nginx"
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump(document))
    config = read_valid(tmp_path / "Pulumi.dev.yaml")[1].config
    errors, _ = plan_violations(StackPlan("dev", config, ingress_nginx_plan.resources))
    assert errors == [], [str(e) for e in errors]


@pytest.mark.parametrize(
    ("filters", "zone", "found"),
    [
        (["london.example.com"], "example.com", False),  # the defect: parent zones never match
        (["example.com"], "example.com", True),
        ([".example.com"], "sub.example.com", True),
        (["example.com"], "sub.example.com", True),
        ([], "example.com", True),
    ],
)
def test_external_dns_zone_matching_follows_upstream(
    filters: list[str], zone: str, found: bool
) -> None:
    assert match_filter(filters, zone) is found


def test_every_rule_says_what_it_guards_and_where_that_is_written() -> None:
    # Guardrails carry their source in the description; plan rules in `source`.
    cited = [(r.name, r.description) for r in RULES]
    cited += [(r.name, r.source) for r in PLAN_RULES]
    cited += [(r.name, r.source) for r in STACKS_RULES]
    for name, source in cited:
        assert "http" in source or "/" in source, name
    assert {r.name for r in RULES} <= {r.name for r in GUARDRAILS}


def test_stacks_that_share_a_zone_must_agree_on_its_settings(
    stack_plans: dict[str, PlanView],
) -> None:
    dev, prod = (_stack_plan(stack_plans[s]) for s in ("dev", "prod"))
    setting = stack_plans["prod"].one("cloudflare:index/zoneSetting:ZoneSetting", "zone-ssl-mode")
    # prod's stack as if it pointed at dev's zone with another SSL mode.
    shared = replace(
        setting,
        revealed_inputs={
            **setting.revealed_inputs,
            "zoneId": dev.config.cloudflare.zone_id,
            "value": "full",
        },
    )
    edited = StackPlan("prod", prod.config, [shared])
    rule = next(r for r in STACKS_RULES if r.name == "one-zone-setting")
    found = rule.violations({"dev": dev, "prod": edited})
    assert {v.stack for v in found} == {"dev", "prod"}
    assert all("set to ['full', 'strict'] by different stacks" in v.message for v in found)


@pytest.mark.parametrize(
    ("rule", "flagged"),
    [
        ({"action": "allow", "portRange": "443", "cidrs": []}, True),
        ({"action": "allow", "portRange": "443"}, True),
        ({"action": "allow", "portRange": "443", "cidrs": ["192.0.2.1/32"]}, False),
        # Denying nothing opens nothing; a list still unknown at preview is not judged.
        ({"action": "deny", "portRange": "443", "cidrs": []}, False),
        ({"action": "allow", "portRange": "443", "cidrs": "[unknown]"}, False),
    ],
)
def test_a_civo_rule_without_cidrs_is_refused_and_nothing_else(
    rule: dict[str, object], flagged: bool
) -> None:
    found = [
        name
        for name, _ in violations("civo:index/firewall:Firewall", {"ingressRules": [rule]}, False)
    ]
    assert ("no-empty-firewall-sources" in found) is flagged, found
