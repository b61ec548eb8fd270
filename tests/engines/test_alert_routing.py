"""Where the prod stack's alerts go, asked of Alertmanager's own tool: `amtool check-config`
accepts the configuration the plan writes, and `amtool config routes test` sends each
alert below to the receiver named beside it."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.addons.observability import alertmanager
from infra.stackconfig import PREFIX
from tests.engines.tools import run
from tests.planview import PlanView

# What a `secure:` value is in the offline plan (this, then a digest of its ciphertext),
# and stand-ins of the right kind for amtool, which checks that URLs are URLs (the real
# values are known only to Pulumi).
PLACEHOLDER = f"placeholder-secret-for-{PREFIX.rstrip(':')}-alerting-"
STAND_INS = {
    "api_url": "https://hooks.slack.com/services/T000/B000/XXXX",
    "url": "https://hc-ping.com/00000000-0000-0000-0000-000000000000",
    "routing_key": "0123456789abcdef0123456789abcdef",
    "auth_password": "smtp-password",
}

# (alert labels, the receiver Pulumi.prod.yaml's routes send it to).
ROUTES: list[tuple[dict[str, str], str]] = [
    ({"alertname": "Watchdog", "severity": "none"}, alertmanager.DEAD_MANS_SWITCH),
    ({"alertname": "InfoInhibitor", "severity": "none"}, alertmanager.NULL),
    (
        {"alertname": "ClusterNotReporting", "severity": "critical", "cluster": "chicago"},
        "oncall-americas",
    ),
    (
        {"alertname": "NodeNotReady", "severity": "critical", "cluster": "newyork"},
        "oncall-americas",
    ),
    ({"alertname": "NodeNotReady", "severity": "critical", "cluster": "london"}, "oncall"),
    # Argo CD runs on mgmt; its app alerts name the app's destination cluster (the
    # promtool cases in alert_rules_test.yaml), so the Americas on-call gets chicago's.
    (
        {
            "alertname": "ArgoCDAppDegraded",
            "severity": "critical",
            "cluster": "chicago",
            "name": "hello-world-chicago",
        },
        "oncall-americas",
    ),
    (
        {"alertname": "ArgoCDAppDegraded", "severity": "critical", "cluster": "mgmt"},
        "oncall",
    ),
    ({"alertname": "CertificateNotReady", "severity": "critical", "cluster": "mgmt"}, "oncall"),
    (
        {"alertname": "CertificateExpiringSoon", "severity": "warning", "cluster": "chicago"},
        "platform-team",
    ),
    (
        {"alertname": "RemoteWriteFailing", "severity": "warning", "cluster": "frankfurt"},
        "platform-team",
    ),
    (
        {"alertname": "KubeQuotaAlmostFull", "severity": "info", "cluster": "london"},
        "platform-mail",
    ),
    ({"alertname": "SomethingUnlabelled"}, "platform-mail"),
]


def _stand_in(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _stand_in(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_stand_in(v, key) for v in value]
    if isinstance(value, str) and value.startswith(PLACEHOLDER):
        return STAND_INS[key]
    return value


@pytest.fixture(scope="module")
def config_file(prod: PlanView, tmp_path_factory: pytest.TempPathFactory) -> Path:
    secret = prod.one("v1:Secret", f"mgmt-secret-monitoring-{alertmanager.SECRET}")
    assert secret.inputs["stringData"] == "[secret]"
    written = yaml.safe_load(secret.revealed_inputs["stringData"][alertmanager.CONFIG_KEY])
    path = tmp_path_factory.mktemp("alertmanager") / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(_stand_in(written)))
    return path


def test_amtool_accepts_the_configuration(config_file: Path) -> None:
    checked = run("amtool", "check-config", str(config_file))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


def routes_test(
    config_file: Path, receiver: str, labels: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return run(
        "amtool",
        "config",
        "routes",
        "test",
        f"--config.file={config_file}",
        f"--verify.receivers={receiver}",
        *(f"{name}={value}" for name, value in labels.items()),
    )


@pytest.mark.parametrize(
    ("labels", "receiver"), ROUTES, ids=[f"{lbl['alertname']}-{r}" for lbl, r in ROUTES]
)
def test_each_alert_reaches_its_receiver(
    config_file: Path, labels: dict[str, str], receiver: str
) -> None:
    routed = routes_test(config_file, receiver, labels)
    assert routed.returncode == 0, routed.stdout + routed.stderr


def test_a_wrong_receiver_is_caught(config_file: Path) -> None:
    """The check itself: amtool fails when the alert goes elsewhere."""
    labels = {"alertname": "NodeNotReady", "severity": "critical", "cluster": "chicago"}
    routed = routes_test(config_file, "oncall", labels)
    assert routed.returncode == 1
    assert "oncall-americas" in routed.stdout


def test_alerts_group_by_cluster(config_file: Path) -> None:
    """Five clusters' alerts are five notifications, not one (the chart grouped by
    namespace only)."""
    route = yaml.safe_load(config_file.read_text())["route"]
    assert route["group_by"] == ["cluster", "alertname"]
