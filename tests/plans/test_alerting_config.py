"""`platform:alerting` and the hub's sizing: every mistake is named before `pulumi up`,
and what is configured is what the plan installs."""

from __future__ import annotations

import copy
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest

from infra.addons.observability import alertmanager
from platform_cli.plan import read_valid
from platform_cli.runner import PROJECT_DIR
from tests.planview import PlanView

Errors = Callable[..., tuple[int, list[str]]]


def _alerting(config: dict[str, Any]) -> dict[str, Any]:
    alerting: dict[str, Any] = config["platform:alerting"]
    return alerting


@pytest.mark.parametrize(
    ("edit", "error"),
    [
        (
            lambda c: c.pop("platform:alerting"),
            "error: platform:alerting: required in production with observability: without "
            "receivers every alert, the Watchdog included, goes nowhere",
        ),
        (
            lambda c: _alerting(c)["routes"][1].update(receiver="on-call"),
            "error: platform:alerting.routes[1].receiver: no receiver named 'on-call'; "
            "did you mean 'oncall'?",
        ),
        (
            lambda c: _alerting(c)["routes"][0].update(clusters=["newyork", "chicgo"]),
            "error: platform:alerting.routes[0].clusters[1]: 'chicgo' is not a cluster; "
            "did you mean 'chicago'?",
        ),
        (
            lambda c: _alerting(c)["routes"].insert(0, {"receiver": "oncall"}),
            "error: platform:alerting.routes[1]: never reached: routes[0] takes every alert "
            "(give it severity or clusters, or `continue: true`)",
        ),
        (
            lambda c: _alerting(c)["receivers"][0].update(name="null"),
            "error: platform:alerting.receivers[0](null).name: 'null' is a receiver the platform "
            "defines itself",
        ),
        (
            lambda c: _alerting(c)["receivers"][0].pop("pagerduty"),
            "error: platform:alerting.receivers[0](oncall): set at least one of email, slack, "
            "pagerduty, webhook",
        ),
        (
            lambda c: c.update(
                {
                    "platform:observability": {
                        "prometheus": {
                            "storage": "50Gi",
                            "requests": {"memory": "1Gi"},
                            "limits": {"memory": "8Gi"},
                        }
                    }
                }
            ),
            "error: platform:observability.prometheus.limits.memory: 8Gi does not fit on a "
            "management node (g4s.kube.large: 8 GiB); lower it or choose a larger "
            "mgmtCluster.nodeSize",
        ),
        (
            lambda c: c.update(
                {
                    "platform:observability": {
                        "grafana": {
                            "storage": "5Gi",
                            "requests": {"memory": "1Gi"},
                            "limits": {"memory": "512Mi"},
                        }
                    }
                }
            ),
            "error: platform:observability.grafana: the memory request '1Gi' is above its "
            "limit '512Mi'",
        ),
    ],
    ids=[
        "production without alerting",
        "unknown receiver",
        "unknown cluster",
        "unreachable route",
        "reserved receiver name",
        "receiver reaching nobody",
        "limit larger than a node",
        "request above its limit",
    ],
)
def test_each_mistake_is_named(
    plan_errors: Errors, edit: Callable[[dict[str, Any]], Any], error: str
) -> None:
    code, errors = plan_errors(edit, "prod")
    assert code == 2
    assert error in errors, errors


def test_credentials_in_plain_text_are_refused(plan_errors: Errors) -> None:
    def plain(config: dict[str, Any]) -> None:
        alerting = copy.deepcopy(_alerting(config))
        for receiver in alerting["receivers"]:
            for kind in receiver.values():
                if isinstance(kind, dict):
                    for key, value in kind.items():
                        if isinstance(value, dict) and "secure" in value:
                            kind[key] = "https://in.plain.text/"
        alerting["deadMansSwitch"]["url"] = "https://hc-ping.com/in-plain-text"
        config["platform:alerting"] = alerting

    code, errors = plan_errors(plain, "prod")
    assert code == 2
    assert errors[0].startswith("error: platform:alerting: a credential in plain text")


def test_the_hub_takes_its_sizes_from_config(plan_config: Callable[..., PlanView]) -> None:
    def sized(config: dict[str, Any]) -> None:
        config["platform:observability"] = {
            "prometheus": {
                "storage": "80Gi",
                "retention": "30d",
                "requests": {"cpu": "1", "memory": "2Gi"},
                "limits": {"cpu": "2", "memory": "6Gi"},
            },
            "grafana": {
                "storage": "5Gi",
                "requests": {"memory": "128Mi"},
                "limits": {"memory": "256Mi"},
            },
        }

    values = (
        plan_config("prod", sized).one(":Release", "mgmt-kube-prometheus-stack").inputs["values"]
    )
    prometheus = values["prometheus"]["prometheusSpec"]
    claim = prometheus["storageSpec"]["volumeClaimTemplate"]["spec"]["resources"]["requests"]
    assert claim == {"storage": "80Gi"}
    # 85% of the volume: Prometheus drops the oldest blocks before the disk fills.
    assert (prometheus["retention"], prometheus["retentionSize"]) == ("30d", "68GB")
    assert prometheus["resources"] == {
        "requests": {"cpu": "1", "memory": "2Gi"},
        "limits": {"cpu": "2", "memory": "6Gi"},
    }
    assert values["grafana"]["persistence"]["size"] == "5Gi"
    assert values["grafana"]["resources"]["limits"] == {"memory": "256Mi"}
    # Alertmanager keeps the defaults.
    storage = values["alertmanager"]["alertmanagerSpec"]["storage"]["volumeClaimTemplate"]
    assert storage["spec"]["resources"]["requests"] == {"storage": "2Gi"}


def test_alerting_without_observability_is_only_a_warning(
    write_config: Callable[..., Any],
) -> None:
    """Switching observability off need not mean deleting the receivers and their secrets."""
    path = write_config("prod", lambda c: c.update({"platform:observability": False}))
    notes = read_valid(path)[2]
    assert any("platform:alerting is unused while observability is off" in n for n in notes)


def _seconds(duration: str) -> int:
    """An Alertmanager duration (`5m`, `4m45s`, `30s`) in seconds."""
    units = {"h": 3600, "m": 60, "s": 1}
    total, number = 0, ""
    for char in duration:
        if char.isdigit():
            number += char
        else:
            total, number = total + int(number) * units[char], ""
    return total


def _pings(route: dict[str, Any], delay: int, horizon: int) -> list[int]:
    """When Alertmanager calls the receiver of an always-firing, never-changing group.
    prometheus/alertmanager dispatch/dispatch.go `aggrGroup.run`: the first flush after
    `group_wait`, then one every `group_interval`; notify/notify.go `DedupStage.needsUpdate`:
    an unchanged group is sent again only if the notification log's entry is older than
    now minus `repeat_interval`, and that entry is written once the send is done, `delay`
    seconds after the flush (#676, #1193)."""
    wait, every = _seconds(route["group_wait"]), _seconds(route["group_interval"])
    repeat = _seconds(route["repeat_interval"])
    sent: list[int] = []
    logged: int | None = None
    for flush in range(wait, horizon, every):
        if logged is None or logged < flush - repeat:
            sent.append(flush)
            logged = flush + delay
    return sent


@pytest.mark.parametrize("interval", ["1m", "5m", "7m"])
@pytest.mark.parametrize("delay", [0, 1, 10])
def test_the_dead_mans_switch_is_pinged_once_per_interval(interval: str, delay: int) -> None:
    """The outside check is set up with `deadMansSwitch.interval` as its period: every ping
    comes that long after the one before, however long the send itself takes."""
    config = read_valid(PROJECT_DIR / "Pulumi.prod.yaml")[1].config
    assert config.alerting is not None
    alerting = config.alerting.model_copy(
        update={
            "dead_mans_switch": config.alerting.dead_mans_switch.model_copy(
                update={"interval": interval}
            )
        }
    )
    (watchdog,) = [
        r
        for r in alertmanager.config(alerting)["route"]["routes"]
        if r["receiver"] == alertmanager.DEAD_MANS_SWITCH
    ]
    pings = _pings(watchdog, delay, horizon=3 * 3600)
    gaps = {later - earlier for earlier, later in pairwise(pings)}
    assert pings[0] == 0
    assert gaps == {_seconds(interval)}
