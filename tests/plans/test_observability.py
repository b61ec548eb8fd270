"""Observability: one hub on the management cluster, an agent on every workload cluster,
remote-write only through the authenticated gateway route, and no metrics port open to
the internet."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from infra.addons.observability import htpasswd_sha, runbook_url
from infra.addons.observability.rules import alerts
from infra.config import DeliveryConfig
from tests.fidelity.upstream import chart_defaults
from tests.planview import PlanView

WORKLOAD = ("london", "frankfurt", "newyork", "chicago")
# Prometheus, Alertmanager, node-exporter, Grafana (container), kube-state-metrics,
# OpenCost, cert-manager, external-dns and Argo CD's controller metrics.
METRICS_PORTS = {9090, 9093, 9100, 3000, 8080, 9003, 9402, 7979, 8082}


def kps(plan: PlanView) -> dict[str, dict[str, Any]]:
    return {
        name.removesuffix("-kube-prometheus-stack"): inputs
        for name, inputs in plan.releases().items()
        if name.endswith("-kube-prometheus-stack")
    }


def test_prod_has_one_hub_and_an_agent_on_every_workload_cluster(prod: PlanView) -> None:
    releases = kps(prod)
    assert set(releases) == {"mgmt", *WORKLOAD}
    hub = releases.pop("mgmt")["values"]
    assert hub["grafana"]["enabled"] is True
    assert hub["prometheus"]["prometheusSpec"]["enableRemoteWriteReceiver"] is True
    for cluster, inputs in releases.items():
        values = inputs["values"]
        assert values["prometheus"]["agentMode"] is True, cluster
        assert values["grafana"]["enabled"] is False, cluster
        assert values["alertmanager"]["enabled"] is False, cluster
        assert values["prometheus"]["prometheusSpec"]["externalLabels"] == {"cluster": cluster}


def test_dev_has_no_observability_by_default(stack_plans: dict[str, PlanView]) -> None:
    assert kps(stack_plans["dev"]) == {}


def test_each_agent_writes_over_https_to_its_own_guarded_path(prod: PlanView) -> None:
    """Each workload cluster writes to `/clusters/<name>/api/v1/write` on the hub's own
    gateway, with a credential of its own, into a relay that stamps `cluster=<name>`."""
    for cluster in WORKLOAD:
        route = prod.one(":HTTPRoute", f"mgmt-route-prometheus-write-{cluster}").inputs
        host = route["spec"]["hostnames"][0]
        assert host == "prometheus-mgmt.example.com"
        assert route["spec"]["parentRefs"][0]["name"] == "metrics"
        (rule,) = route["spec"]["rules"]
        path = f"/clusters/{cluster}/api/v1/write"
        assert rule["matches"] == [{"path": {"type": "Exact", "value": path}}]
        assert rule["backendRefs"] == [{"name": f"relay-{cluster}", "port": 9090}]
        (write,) = kps(prod)[cluster]["values"]["prometheus"]["prometheusSpec"]["remoteWrite"]
        assert write["url"] == f"https://{host}{path}"
        secret_name = write["basicAuth"]["password"]["name"]
        secret = prod.one("v1:Secret", f"{cluster}-secret-monitoring-{secret_name}").inputs
        assert secret["stringData"] == "[secret]"
        policy = prod.one(":SecurityPolicy", f"mgmt-prometheus-write-{cluster}-basic-auth")
        assert policy.inputs["spec"]["targetRefs"] == [
            {
                "group": "gateway.networking.k8s.io",
                "kind": "HTTPRoute",
                "name": f"prometheus-write-{cluster}",
            }
        ]
        relay = prod.one(":PrometheusAgent", f"mgmt-relay-{cluster}").inputs["spec"]
        (forward,) = relay["remoteWrite"]
        assert forward["writeRelabelConfigs"] == [
            {"action": "replace", "targetLabel": "cluster", "replacement": cluster}
        ]


def test_htpasswd_line_is_the_sha_scheme_envoy_accepts() -> None:
    # htpasswd -nbs remote-write password
    assert htpasswd_sha("remote-write", "password") == (
        "remote-write:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n"
    )


def test_grafana_password_is_a_secret_output(prod: PlanView) -> None:
    outputs = prod.run.stack_outputs
    assert outputs["grafanaUrl"] == "https://grafana.example.com"
    assert outputs["grafanaAdminPassword"] == "[secret]"
    admin = prod.one("v1:Secret", "mgmt-secret-monitoring-grafana-admin").inputs
    assert admin["stringData"] == "[secret]"


def _port_ranges(rule: dict[str, Any]) -> Iterator[range]:
    text = str(rule.get("portRange") or rule.get("port") or "")
    if not text:
        return
    low, _, high = text.partition("-")
    yield range(int(low), int(high or low) + 1)


def _ingress_rules(plan: PlanView) -> Iterator[tuple[str, dict[str, Any]]]:
    for firewall in plan.of_type("civo:index/firewall:Firewall"):
        for rule in firewall.inputs.get("ingressRules", []):
            yield firewall.name, rule
    for rule in plan.of_type("vultr:index/firewallRule:FirewallRule"):
        yield rule.name, rule.inputs


def test_no_firewall_rule_opens_a_metrics_port(stack_plans: dict[str, PlanView]) -> None:
    for plan in stack_plans.values():
        rules = list(_ingress_rules(plan))
        assert rules, "the plan has no firewall rules to check"
        for name, rule in rules:
            for ports in _port_ranges(rule):
                assert not METRICS_PORTS & set(ports), f"{name}: {rule}"


def _service_types(values: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(values, dict):
        for key, value in values.items():
            here = f"{path}.{key}" if path else str(key)
            if key == "service" and isinstance(value, dict) and "type" in value:
                yield here, str(value["type"])
            yield from _service_types(value, here)


def _merged(defaults: Any, ours: Any) -> Any:
    if isinstance(defaults, dict) and isinstance(ours, dict):
        return {**defaults, **{k: _merged(defaults.get(k), v) for k, v in ours.items()}}
    return ours


def test_no_service_exposes_metrics_outside_the_cluster(prod: PlanView, upstream: Path) -> None:
    """Every Service the observability charts render stays ClusterIP (chart defaults with
    our values on top), and the only Services the program creates are the hub's relays,
    ClusterIP."""
    for service in prod.of_type("core/v1:Service"):
        assert service.name.startswith("mgmt-service-relay-"), service.name
        assert "type" not in service.inputs["spec"]
    for name, inputs in prod.releases().items():
        chart = str(inputs["chart"]).rsplit("/", 1)[-1]
        if chart not in {"kube-prometheus-stack", "opencost"}:
            continue
        values = _merged(chart_defaults(upstream, chart), inputs["values"])
        exposed = [(p, t) for p, t in _service_types(values) if t in {"LoadBalancer", "NodePort"}]
        assert exposed == [], f"{name}: {exposed}"


def test_every_alert_has_a_runbook_line_in_the_readme() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## Alerts and runbooks", 1)[1].split("\n## ", 1)[0]
    for alert in alerts(["mgmt"]):
        assert f"`{alert.name}`" in section, alert.name


def test_alerts_link_their_runbooks_in_the_repository_the_stack_is_delivered_from(
    prod: PlanView,
) -> None:
    """prod is delivered by GitHub Actions, whose settings named no repository until
    `platform:delivery.repository`: every alert links the README's runbooks on main."""
    (group,) = prod.one(":PrometheusRule", "mgmt-platform-alerts").inputs["spec"]["groups"]
    links = {rule["annotations"].get("runbook_url") for rule in group["rules"]}
    assert links == {
        "https://github.com/example-org/platform/blob/main/README.md#alerts-and-runbooks"
    }


def test_the_runbook_link_follows_the_delivery_paths_repository_and_branch() -> None:
    def delivery(**fields: Any) -> Any:
        common = {"organization": "example-org", "egressCidrs": ["203.0.113.10/32"]}
        return TypeAdapter(DeliveryConfig).validate_python({**common, **fields})

    deployments = delivery(via="pulumi-deployments", repository="acme/infra", branch="release")
    assert runbook_url(deployments) == (
        "https://github.com/acme/infra/blob/release/README.md#alerts-and-runbooks"
    )
    actions = delivery(via="github-actions", runnerLabels=["self-hosted"])
    assert runbook_url(actions) is None
    assert runbook_url(None) is None


def test_observability_needs_envoy_gateway_and_cost_needs_observability(
    plan_errors: Callable[..., tuple[int, list[str]]],
) -> None:
    def nginx(config: dict[str, Any]) -> None:
        config["platform:trafficController"] = "ingress-nginx"
        config["platform:observability"] = True

    code, errors = plan_errors(nginx)
    assert code == 2
    assert errors[0].startswith("error: platform:observability: the metrics write endpoint")

    def cost_alone(config: dict[str, Any]) -> None:
        config["platform:cost"] = True

    code, errors = plan_errors(cost_alone)
    assert code == 2
    assert errors == [
        "error: platform:cost: OpenCost reads and feeds the platform's Prometheus: "
        "set observability too"
    ]


def test_opencost_on_every_cluster_priced_from_the_price_data(prod: PlanView) -> None:
    releases = prod.releases()
    costs = {c: releases[f"{c}-opencost"]["values"]["opencost"] for c in ("mgmt", *WORKLOAD)}
    # Half the node's monthly price to its vCPUs, half to its GiB: Civo g4s.kube.large
    # $43.45 (4 vCPU, 8 GiB), Vultr vc2-4c-8gb $40.00 (4 vCPU, 8 GiB).
    civo = {"CPU": 5.43125, "RAM": 2.715625}
    for cluster, values in costs.items():
        model = values["customPricing"]["costModel"]
        expected = {"CPU": 5.0, "RAM": 2.5} if cluster == "chicago" else civo
        assert {k: model[k] for k in ("CPU", "RAM")} == expected, cluster
        assert values["exporter"]["defaultClusterId"] == cluster
        assert values["exporter"]["extraEnv"]["PROM_CLUSTER_ID_LABEL"] == "cluster"
    hub = costs.pop("mgmt")["prometheus"]["internal"]
    assert (hub["serviceName"], hub["namespaceName"], hub["port"]) == (
        "kube-prometheus-stack-prometheus",
        "monitoring",
        9090,
    )
    for cluster, values in costs.items():
        assert values["prometheus"]["external"]["url"] == "https://prometheus-mgmt.example.com"
        secret = values["prometheus"]["existingSecretName"]
        assert (
            prod.one("v1:Secret", f"{cluster}-secret-opencost-{secret}").inputs["stringData"]
            == "[secret]"
        )


def test_the_add_ons_the_alerts_read_are_scraped_on_every_cluster(prod: PlanView) -> None:
    monitors = {m.name: m.inputs["spec"] for m in prod.of_type(":PodMonitor")}
    for cluster in ("mgmt", *WORKLOAD):
        for app, namespace in (
            ("cert-manager", "cert-manager"),
            ("external-secrets", "external-secrets"),
            ("external-dns", "external-dns"),
        ):
            spec = monitors[f"{cluster}-podmonitor-{app}"]
            assert spec["namespaceSelector"] == {"matchNames": [namespace]}
    argocd = [name for name in monitors if name.endswith("argocd-application-controller")]
    assert argocd == ["mgmt-podmonitor-argocd-application-controller"]


def test_monitoring_objects_wait_for_the_release_that_brings_their_crds(prod: PlanView) -> None:
    """PodMonitors, the PrometheusRule and OpenCost (whose chart renders a ServiceMonitor)
    wait for their cluster's kube-prometheus-stack release; each route waits for the
    SecurityPolicy that guards it, which waits for the users Secret it reads and the
    gateway release that brings its CRD."""
    by_name = {r.name: r for r in prod.resources}

    def waits_for(resource: str, dependency: str) -> bool:
        return by_name[dependency].urn in by_name[resource].dependencies

    for cluster in ("mgmt", *WORKLOAD):
        release = f"{cluster}-kube-prometheus-stack"
        dependants = [
            m.name for m in prod.of_type(":PodMonitor") if m.name.startswith(f"{cluster}-")
        ]
        assert len(dependants) >= 3
        for name in [*dependants, f"{cluster}-opencost"]:
            assert waits_for(name, release), name
    assert waits_for("mgmt-platform-alerts", "mgmt-kube-prometheus-stack")
    for cluster in WORKLOAD:
        guard = f"mgmt-prometheus-write-{cluster}-basic-auth"
        assert waits_for(f"mgmt-route-prometheus-write-{cluster}", guard)
        assert waits_for(guard, f"mgmt-secret-monitoring-prometheus-write-{cluster}-users")
        assert waits_for(guard, "mgmt-gateway-helm")
        assert waits_for(f"mgmt-relay-{cluster}", "mgmt-kube-prometheus-stack")


# --- the operate review's defects (../shared/reviews/operate.md), each seen failing first --


def _waits_for(plan: PlanView, resource: str, dependency: str) -> bool:
    by_name = {r.name: r for r in plan.resources}
    return by_name[dependency].urn in by_name[resource].dependencies


def test_workload_opencost_converges_once_the_hub_answers(prod: PlanView) -> None:
    """A1: OpenCost on a workload cluster crash-loops until the hub answers over TLS with
    basic auth; an atomic release would be rolled back by Helm's 600 s wait on a first
    `up`. It waits for the hub's read route and its policy, and its release does not wait
    for pods."""
    for cluster in WORKLOAD:
        inputs = prod.one(":Release", f"{cluster}-opencost").inputs
        assert (inputs.get("skipAwait"), inputs.get("atomic")) == (True, False), cluster
        for hub in ("mgmt-route-prometheus-read", "mgmt-prometheus-read-basic-auth"):
            assert _waits_for(prod, f"{cluster}-opencost", hub), (cluster, hub)


def test_rotating_the_write_password_rolls_every_workload_opencost(prod: PlanView) -> None:
    """B6: OpenCost reads the hub's password from its Secret at start; a checksum of it on
    the pod template makes a rotation (`pulumi up --replace`) roll the pods. The password
    it holds is the hub's read credential, not any cluster's write one."""
    reader = prod.one("v1:Secret", "mgmt-secret-monitoring-prometheus-read-users").revealed_inputs[
        "stringData"
    ][".htpasswd"]
    for cluster in WORKLOAD:
        secret = prod.one("v1:Secret", f"{cluster}-secret-opencost-opencost-prometheus")
        password = secret.revealed_inputs["stringData"]["DB_BASIC_AUTH_PW"]
        assert secret.revealed_inputs["stringData"]["DB_BASIC_AUTH_USERNAME"] == "reader"
        assert htpasswd_sha("reader", password) == reader, cluster
        values = prod.one(":Release", f"{cluster}-opencost").revealed_inputs["values"]
        annotations = values.get("podAnnotations", {})
        assert annotations.get("platform/metrics-credentials-sha256") == (
            hashlib.sha256(password.encode()).hexdigest()
        ), cluster


def test_the_basic_auth_policy_exists_before_the_route_it_guards(prod: PlanView) -> None:
    """D2: created after its route (and deleted before it), the policy leaves the hub's API
    open without authentication in between: the read route and every write path."""
    routes = ["prometheus-read", *(f"prometheus-write-{c}" for c in WORKLOAD)]
    for route in routes:
        guard = f"mgmt-{route}-basic-auth"
        assert _waits_for(prod, f"mgmt-route-{route}", guard), route
        assert not _waits_for(prod, guard, f"mgmt-route-{route}"), route


def _seconds(duration: str) -> int:
    number, unit = int(duration[:-1]), duration[-1]
    return number * {"s": 1, "m": 60, "h": 3600}[unit]


def test_the_hub_route_outlasts_opencosts_query_timeout(prod: PlanView) -> None:
    """D5: without `timeouts`, Envoy cuts a request after 15 s; OpenCost's queries may run
    for 120 s (PROMETHEUS_QUERY_TIMEOUT), and the agents' writes use the same gateway."""
    routes = ["prometheus-read", *(f"prometheus-write-{c}" for c in WORKLOAD)]
    for route in routes:
        (rule,) = prod.one(":HTTPRoute", f"mgmt-route-{route}").inputs["spec"]["rules"]
        assert _seconds(rule.get("timeouts", {}).get("request", "15s")) > 120, route


def test_hub_grafana_and_alertmanager_keep_their_data_within_limits(prod: PlanView) -> None:
    """D6: each keeps its data on a volume and has a memory limit."""
    hub = kps(prod)["mgmt"]["values"]
    prometheus = hub["prometheus"]["prometheusSpec"]
    alertmanager = hub["alertmanager"].get("alertmanagerSpec", {})
    claims = {
        "prometheus": prometheus.get("storageSpec", {}).get("volumeClaimTemplate"),
        "alertmanager": alertmanager.get("storage", {}).get("volumeClaimTemplate"),
        "grafana": hub["grafana"].get("persistence", {}).get("enabled") or None,
    }
    assert all(claims.values()), claims
    limits = {
        "prometheus": prometheus.get("resources", {}).get("limits", {}).get("memory"),
        "alertmanager": alertmanager.get("resources", {}).get("limits", {}).get("memory"),
        "grafana": hub["grafana"].get("resources", {}).get("limits", {}).get("memory"),
    }
    assert all(limits.values()), limits


def test_a_runbook_upgrades_the_monitoring_crds_with_a_chart_bump() -> None:
    """D7: Helm never upgrades a chart's crds/ (and kube-prometheus-stack's upgrade job is
    off), so a chart bump needs the CRDs applied first."""
    runbook = Path(__file__).parents[2] / "docs" / "runbooks" / "upgrade-monitoring-crds.md"
    assert runbook.is_file()
    text = runbook.read_text()
    assert "apply --server-side --force-conflicts" in text
    assert "platform:chartVersions" in text


def test_an_app_cannot_take_the_metrics_hosts_name(
    plan_errors: Callable[..., tuple[int, list[str]]],
) -> None:
    """D8: a public app named prometheus-mgmt would put a proxied load balancer on the
    host the agents write to."""

    def clash(config: dict[str, Any]) -> None:
        config["platform:apps"][0]["name"] = "prometheus-mgmt"

    code, errors = plan_errors(clash, "prod")
    assert code == 2
    assert (
        "error: platform:apps[0](prometheus-mgmt).name: host name "
        "'prometheus-mgmt.example.com' is the metrics hub's, where workload clusters write "
        "their metrics; rename the app"
    ) in errors, errors


def test_every_series_on_the_hub_names_its_cluster(prod: PlanView) -> None:
    """B2: external labels are added only when the hub talks to other systems, so its own
    series carry no `cluster`; a default scrape class labels them."""
    spec = kps(prod)["mgmt"]["values"]["prometheus"]["prometheusSpec"]
    defaults = [c for c in spec.get("scrapeClasses", []) if c.get("default")]
    assert [c["relabelings"] for c in defaults] == [
        [{"action": "replace", "targetLabel": "cluster", "replacement": "mgmt"}]
    ]


def test_every_dashboard_offers_every_cluster(prod: PlanView) -> None:
    """B3: the chart's dashboards hide their cluster selector unless multicluster is on."""
    sidecar = kps(prod)["mgmt"]["values"]["grafana"].get("sidecar", {})
    assert sidecar.get("dashboards", {}).get("multicluster", {}).get("global") == {"enabled": True}


def cluster_labels(plan: PlanView) -> dict[str, str]:
    """cluster -> the `cluster` label its series reach the hub with, and how."""
    labels = {}
    for cluster, inputs in kps(plan).items():
        spec = inputs["values"]["prometheus"]["prometheusSpec"]
        if inputs["values"]["prometheus"].get("agentMode"):
            # The agent labels its series; the hub's relay for it sets the label again.
            relay = plan.one(":PrometheusAgent", f"mgmt-relay-{cluster}").inputs["spec"]
            (remote_write,) = relay["remoteWrite"]
            (relabel,) = remote_write["writeRelabelConfigs"]
            assert relabel["targetLabel"] == "cluster"
            assert relabel["replacement"] == spec["externalLabels"]["cluster"], cluster
            labels[cluster] = f"{relabel['replacement']} (agent's external label and relay)"
        else:
            (scrape_class,) = [c for c in spec["scrapeClasses"] if c["default"]]
            (relabel,) = scrape_class["relabelings"]
            assert relabel["targetLabel"] == "cluster"
            labels[cluster] = f"{relabel['replacement']} (hub's default scrape class)"
    return labels


def test_every_cluster_labels_its_series_and_grafana_offers_each(prod: PlanView) -> None:
    """Every cluster's series reach the hub named by their cluster, mgmt's included; the
    one Grafana's dashboards list clusters from kube-state-metrics' `up` series
    (`label_values(up{job="kube-state-metrics"}, cluster)`) and show the selector; every
    cluster runs kube-state-metrics; and the hub's alerts expect each cluster."""
    labels = cluster_labels(prod)
    assert {c: label.split()[0] for c, label in labels.items()} == {
        c: c for c in ("mgmt", *WORKLOAD)
    }
    hub = kps(prod)["mgmt"]["values"]
    assert hub["grafana"]["sidecar"]["dashboards"]["multicluster"]["global"]["enabled"] is True
    assert all(
        v["values"].get("kubeStateMetrics", {}).get("enabled", True) for v in kps(prod).values()
    )
    rule = prod.one(":PrometheusRule", "mgmt-platform-alerts").inputs["spec"]["groups"][0]
    (silent,) = [r for r in rule["rules"] if r["alert"] == "ClusterNotReporting"]
    for cluster in labels:
        assert f'absent(up{{cluster="{cluster}"}})' in silent["expr"], cluster


def test_the_hub_scrapes_each_relays_remote_write_under_its_cluster(prod: PlanView) -> None:
    """The relay answers an agent as soon as its own WAL has the samples; what happens
    between relay and hub shows only in the relay's own prometheus_remote_storage_*
    series, so the hub scrapes each relay (it selects every PodMonitor) and labels those
    series with the cluster the relay serves, for RemoteWriteFailing and its routing. The
    relay's `up` stays the hub's: a silent cluster must still be absent."""
    monitors = {m.name: m for m in prod.of_type(":PodMonitor")}
    for cluster in WORKLOAD:
        monitor = monitors[f"mgmt-podmonitor-relay-{cluster}"]
        spec = monitor.inputs["spec"]
        relay = prod.one(":PrometheusAgent", f"mgmt-relay-{cluster}")
        service = prod.one("v1:Service", f"mgmt-service-relay-{cluster}")
        pod_labels = spec["selector"]["matchLabels"]
        # The pods the relay's Service reaches, and no other relay's.
        assert service.inputs["spec"]["selector"].items() <= pod_labels.items()
        assert pod_labels["operator.prometheus.io/name"] == f"relay-{cluster}"
        assert spec["namespaceSelector"] == {"matchNames": ["monitoring"]}
        (endpoint,) = spec["podMetricsEndpoints"]
        assert endpoint["portNumber"] == 9090
        assert "relabelings" not in endpoint
        stamp = [r for r in endpoint["metricRelabelings"] if r.get("targetLabel") == "cluster"]
        assert stamp == [{"action": "replace", "targetLabel": "cluster", "replacement": cluster}]
        assert relay.urn in monitor.dependencies
        assert _waits_for(prod, monitor.name, "mgmt-kube-prometheus-stack")
