"""The platform's alert rules, as the prod plan writes them, in Prometheus's own rule
engine: `promtool check rules` accepts them and `promtool test rules` runs
`alert_rules_test.yaml`, where every alert fires in one case and stays quiet in another."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from infra.addons.observability.rules import alerts
from tests.engines.tools import run
from tests.planview import PlanView

CASES = Path(__file__).with_name("alert_rules_test.yaml")
PROD_CLUSTERS = ["mgmt", "london", "frankfurt", "newyork", "chicago"]


def rule_groups(plan: PlanView) -> list[dict[str, Any]]:
    rule = plan.one(":PrometheusRule", "mgmt-platform-alerts")
    groups: list[dict[str, Any]] = rule.revealed_inputs["spec"]["groups"]
    return groups


def _rules_dir(plan: PlanView, folder: Path) -> Path:
    (folder / "rules.yaml").write_text(yaml.safe_dump({"groups": rule_groups(plan)}))
    shutil.copy(CASES, folder / CASES.name)
    return folder


def test_promtool_accepts_the_rules(prod: PlanView, tmp_path: Path) -> None:
    checked = run("promtool", "check", "rules", "rules.yaml", cwd=_rules_dir(prod, tmp_path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(alerts(PROD_CLUSTERS))} rules found" in checked.stdout


def test_every_alert_fires_and_stays_quiet_in_prometheus_own_engine(
    prod: PlanView, tmp_path: Path
) -> None:
    tested = run("promtool", "test", "rules", CASES.name, cwd=_rules_dir(prod, tmp_path))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def _cases() -> list[dict[str, Any]]:
    document = yaml.safe_load(CASES.read_text())
    return [case for group in document["tests"] for case in group["alert_rule_test"]]


def test_every_alert_has_a_firing_and_a_quiet_case(prod: PlanView) -> None:
    cases = _cases()
    names = [rule["alert"] for group in rule_groups(prod) for rule in group["rules"]]
    assert names == [alert.name for alert in alerts(PROD_CLUSTERS)]
    for name in names:
        outcomes = [bool(c["exp_alerts"]) for c in cases if c["alertname"] == name]
        assert True in outcomes and False in outcomes, name


def test_a_broken_expectation_fails(prod: PlanView, tmp_path: Path) -> None:
    """The check itself: promtool fails a case whose expected alert does not fire."""
    folder = _rules_dir(prod, tmp_path)
    text = CASES.read_text().replace("cluster: newyork}", "cluster: nowhere}")
    (folder / CASES.name).write_text(text)
    assert run("promtool", "test", "rules", CASES.name, cwd=folder).returncode == 1
