"""The hub's Alertmanager configuration, from `platform:alerting`.

kube-prometheus-stack 88.5.3 would render its own config with every route going to the
`null` receiver (values.yaml `alertmanager.config`). The platform writes the whole file
instead, into a Secret of its own that the Alertmanager resource names
(`alertmanagerSpec.configSecret`), and the chart renders none (`useExistingSecret`).
Not the chart's own Secret name: on a hub that already runs, Helm deletes the Secret it
stops rendering, and would take the platform's with it. Credentials sit inline in that
Secret, never in Helm values.

Routing, in order: the Watchdog to the dead man's switch (once every `interval`, so an
outside service notices when it stops); InfoInhibitor nowhere; then the configured routes, first
match wins; then `defaultReceiver`. Alerts group by cluster and alert name, so five
clusters' alerts are five notifications, and a silent cluster inhibits its other alerts.
"""

from __future__ import annotations

from typing import Any

import yaml

from infra.config import AlertingConfig, AlertRoute, Receiver

# The operator reads this key of the config Secret (prometheus-operator v0.93.0
# pkg/alertmanager/operator.go `alertmanagerConfigFile`).
CONFIG_KEY = "alertmanager.yaml"
SECRET = "platform-alertmanager-config"
DEAD_MANS_SWITCH = "dead-mans-switch"
NULL = "null"
GROUP_BY = ["cluster", "alertname"]


def _matchers(route: AlertRoute) -> list[str]:
    matchers = []
    if route.severity:
        matchers.append(f'severity=~"{"|".join(route.severity)}"')
    if route.clusters:
        matchers.append(f'cluster=~"{"|".join(route.clusters)}"')
    return matchers


def _route(route: AlertRoute) -> dict[str, Any]:
    out: dict[str, Any] = {"receiver": route.receiver, "matchers": _matchers(route)}
    if route.continue_:
        out["continue"] = True
    return out


def _receiver(receiver: Receiver) -> dict[str, Any]:
    out: dict[str, Any] = {"name": receiver.name}
    if receiver.email:
        email = receiver.email
        out["email_configs"] = [
            {
                "to": email.to,
                "from": email.sender,
                "smarthost": email.smarthost,
                "auth_username": email.username,
                "auth_password": email.password.get_secret_value(),
                "require_tls": True,
                "send_resolved": True,
            }
        ]
    if receiver.slack:
        out["slack_configs"] = [
            {
                "api_url": receiver.slack.api_url.get_secret_value(),
                "channel": receiver.slack.channel,
                "title": "{{ .CommonLabels.alertname }} on {{ .CommonLabels.cluster }}",
                "text": "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}",
                "send_resolved": True,
            }
        ]
    if receiver.pagerduty:
        out["pagerduty_configs"] = [
            {"routing_key": receiver.pagerduty.routing_key.get_secret_value()}
        ]
    if receiver.webhook:
        out["webhook_configs"] = [
            {"url": receiver.webhook.url.get_secret_value(), "send_resolved": True}
        ]
    return out


def _inhibitions() -> list[dict[str, Any]]:
    same_alert = ["cluster", "namespace", "alertname"]
    return [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity=~"warning|info"'],
            "equal": same_alert,
        },
        {
            "source_matchers": ['severity="warning"'],
            "target_matchers": ['severity="info"'],
            "equal": same_alert,
        },
        # A cluster that sends nothing raises its own alert; what else looks broken there
        # follows from it.
        {
            "source_matchers": ['alertname="ClusterNotReporting"'],
            "target_matchers": ['alertname!="ClusterNotReporting"'],
            "equal": ["cluster"],
        },
    ]


# How often Alertmanager looks at the Watchdog's group; it divides every whole-minute
# `interval`.
WATCHDOG_FLUSH_SECONDS = 30


def _ping_every(interval: str) -> dict[str, str]:
    """Timing that sends the unchanging Watchdog once per `interval` (whole minutes).

    Alertmanager sends only at a flush (every `group_interval`,
    dispatch/dispatch.go `aggrGroup.run`), and then only if its log of the last send is
    older than `repeat_interval` (notify/notify.go `DedupStage.needsUpdate`). That entry is
    written once the send is done, after its flush: with both set to `interval` the next
    flush finds it too young and the ping goes out every 2 x `interval`
    (prometheus/alertmanager#676). Half a flush under `interval`, the flush that falls on
    `interval` sends, as long as a send takes less than those 15 seconds.
    """
    repeat = int(interval.removesuffix("m")) * 60 - WATCHDOG_FLUSH_SECONDS // 2
    minutes, seconds = divmod(repeat, 60)
    return {
        "group_interval": f"{WATCHDOG_FLUSH_SECONDS}s",
        "repeat_interval": f"{minutes}m{seconds}s" if minutes else f"{seconds}s",
    }


def config(alerting: AlertingConfig) -> dict[str, Any]:
    switch = alerting.dead_mans_switch
    return {
        "global": {"resolve_timeout": "5m"},
        "route": {
            "receiver": alerting.default_receiver,
            "group_by": GROUP_BY,
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": [
                {
                    "receiver": DEAD_MANS_SWITCH,
                    "matchers": ['alertname="Watchdog"'],
                    "group_wait": "0s",
                    **_ping_every(switch.interval),
                },
                {"receiver": NULL, "matchers": ['alertname="InfoInhibitor"']},
                *(_route(route) for route in alerting.routes),
            ],
        },
        "inhibit_rules": _inhibitions(),
        "receivers": [
            {"name": NULL},
            {
                "name": DEAD_MANS_SWITCH,
                "webhook_configs": [{"url": switch.url.get_secret_value(), "send_resolved": False}],
            },
            *(_receiver(receiver) for receiver in alerting.receivers),
        ],
    }


def config_yaml(alerting: AlertingConfig) -> str:
    return yaml.safe_dump(config(alerting), sort_keys=False)
