"""Every Helm release: the pinned chart, and only values the chart knows."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from infra.versions import CHARTS
from tests.fidelity.test_kubernetes_objects import strict
from tests.fidelity.upstream import (
    chart_defaults,
    chart_schema,
    crd_schemas,
    pinned_chart_repositories,
    pinned_chart_versions,
)
from tests.planview import PlanView

# Values paths under which a chart takes keys it does not list, each with the reason.
FREE_FORM: dict[str, dict[str, str]] = {
    "cert-manager": {
        "config": "rendered as the controller's ControllerConfiguration file (values.yaml `config: {}`)",
    },
    "argo-cd": {
        "configs.params": "each key becomes an argocd-cmd-params-cm entry (values.yaml `configs.params`)",
        "configs.cm": "each key becomes an argocd-cm entry (values.yaml `configs.cm`)",
    },
    "external-dns": {
        "extraArgs": "each key becomes a `--key=value` flag (values.yaml `extraArgs: {}`)",
    },
    "kube-prometheus-stack": {
        "prometheus.prometheusSpec.externalLabels": (
            "label name -> value added to every series (values.yaml `externalLabels: {}`)"
        ),
        # Copied into the Prometheus and Alertmanager resources, whose CRDs check them
        # (test_values_copied_into_monitoring_resources_validate_against_their_crds).
        "prometheus.prometheusSpec.storageSpec": "the Prometheus resource's spec.storage",
        "prometheus.prometheusSpec.resources": "the Prometheus resource's spec.resources",
        "alertmanager.alertmanagerSpec.storage": "the Alertmanager resource's spec.storage",
        "alertmanager.alertmanagerSpec.resources": "the Alertmanager resource's spec.resources",
        "grafana.resources": "the Grafana container's resources (grafana values.yaml `resources: {}`)",
        # Documented only as a comment (`# configSecret:`) in values.yaml, and rendered by
        # templates/alertmanager/alertmanager.yaml as the resource's spec.configSecret.
        "alertmanager.alertmanagerSpec.configSecret": "the Alertmanager resource's spec.configSecret",
        "prometheus-node-exporter.containerSecurityContext": (
            "the prometheus-node-exporter 4.56.1 subchart's (kube-prometheus-stack 88.5.3 "
            "Chart.yaml) `containerSecurityContext: {readOnlyRootFilesystem: true}`, rendered "
            "whole as the container's securityContext (its templates/daemonset.yaml); that "
            "subchart's values.yaml is not in ../shared/upstream"
        ),
    },
    "sealed-secrets": {
        "podAnnotations": "each key becomes a controller pod annotation (values.yaml `podAnnotations: {}`)",
        "containerSecurityContext": (
            "rendered whole, minus `enabled`, as the container's securityContext "
            '(helm-v2.18.5 templates/deployment.yaml `omit .Values.containerSecurityContext "enabled"`)'
        ),
    },
    "opencost": {
        "opencost.exporter.extraEnv": "each key becomes an environment variable (values.yaml `extraEnv: {}`)",
        # opencost-2.5.17 templates/deployment.yaml renders each `toYaml` whole.
        "podAnnotations": "the pod template's annotations (values.yaml `podAnnotations: {}`)",
        "podSecurityContext": "the pod's securityContext (values.yaml `podSecurityContext: {}`)",
        "opencost.exporter.securityContext": "the exporter container's securityContext",
        "opencost.ui.securityContext": "the UI container's securityContext",
    },
    "reloader": {
        "reloader.deployment.containerSecurityContext": (
            "rendered as the container's securityContext "
            "(values.yaml `containerSecurityContext: {}`, its keys commented)"
        ),
    },
    "ingress-nginx": {
        "controller.extraArgs": "each key becomes a controller flag (values.yaml `extraArgs: {}`)",
        "controller.config": "each key becomes an entry of the controller's ConfigMap "
        "(values.yaml `controller.config: {}`)",
        "controller.service.annotations": "each key becomes a Service annotation "
        "(values.yaml `controller.service.annotations: {}`)",
    },
}


# Subcharts whose values a chart passes through under a key: checked against the
# subchart's own values.yaml as well (kube-prometheus-stack's `grafana:` goes to the
# grafana chart, which it pins as a dependency but does not vendor).
SUBCHARTS: dict[str, dict[str, str]] = {"kube-prometheus-stack": {"grafana": "grafana"}}


def defaults_with_subcharts(upstream: Path, chart: str) -> dict[str, Any]:
    defaults = chart_defaults(upstream, chart)
    for key, subchart in SUBCHARTS.get(chart, {}).items():
        defaults = merged(
            defaults, {key: merged(chart_defaults(upstream, subchart), defaults[key])}
        )
    return defaults


def chart_of(inputs: dict[str, Any]) -> str:
    return str(inputs["chart"]).rsplit("/", 1)[-1]


def unknown_paths(ours: Any, defaults: Any, allowed: dict[str, str], prefix: str = "") -> list[str]:
    """Paths we set that the chart's values.yaml does not have."""
    if not isinstance(ours, dict):
        return []  # a scalar or a list replaces the default whole
    problems = []
    for key, value in ours.items():
        path = f"{prefix}{key}"
        if prefix.rstrip(".") in allowed or path in allowed:
            continue
        if not isinstance(defaults, dict) or key not in defaults:
            problems.append(path)
            continue
        problems += unknown_paths(value, defaults[key], allowed, f"{path}.")
    return problems


def merged(defaults: Any, ours: Any) -> Any:
    if isinstance(defaults, dict) and isinstance(ours, dict):
        result = copy.deepcopy(defaults)
        for key, value in ours.items():
            result[key] = merged(defaults.get(key), value)
        return result
    return ours


def releases(plan: PlanView) -> list[tuple[str, dict[str, Any]]]:
    return sorted((r.name, r.revealed_inputs) for r in plan.of_type("helm.sh/v3:Release"))


def test_every_add_on_is_a_pinned_release(any_plan: PlanView, upstream: Path) -> None:
    pinned = pinned_chart_versions(upstream)
    seen = {}
    for name, inputs in releases(any_plan):
        chart = chart_of(inputs)
        assert chart in pinned, f"{name}: chart {chart} is not pinned in ../shared/upstream"
        assert inputs["version"] == pinned[chart], f"{name}: {chart} {inputs['version']}"
        seen[chart] = inputs["version"]
    expected = {"argo-cd", "cert-manager", "external-dns", "external-secrets", "sealed-secrets"}
    assert expected <= set(seen)
    assert len({"gateway-helm", "ingress-nginx"} & set(seen)) == 1, "one traffic controller"


def test_versions_module_matches_upstream(upstream: Path) -> None:
    pinned = pinned_chart_versions(upstream)
    repositories = pinned_chart_repositories(upstream)
    for chart, pin in CHARTS.items():
        assert pin.version == pinned[chart], chart
        ours = f"{pin.repository}/{chart}" if pin.is_oci else pin.repository
        assert ours.rstrip("/") == repositories[chart].rstrip("/"), chart


def test_release_repositories_match_upstream(any_plan: PlanView, upstream: Path) -> None:
    repositories = pinned_chart_repositories(upstream)
    for name, inputs in releases(any_plan):
        chart = chart_of(inputs)
        expected = repositories[chart].rstrip("/")
        if expected.startswith("oci://"):
            assert inputs["chart"] == expected, name
            assert "repositoryOpts" not in inputs, name
        else:
            assert inputs["repositoryOpts"]["repo"].rstrip("/") == expected, name


def test_values_exist_in_the_chart(any_plan: PlanView, upstream: Path) -> None:
    for name, inputs in releases(any_plan):
        chart = chart_of(inputs)
        unknown = unknown_paths(
            inputs.get("values", {}),
            defaults_with_subcharts(upstream, chart),
            FREE_FORM.get(chart, {}),
        )
        assert not unknown, f"{name}: not in {chart}'s values.yaml: {unknown}"


def test_values_validate_against_chart_schema(any_plan: PlanView, upstream: Path) -> None:
    checked = 0
    for name, inputs in releases(any_plan):
        chart = chart_of(inputs)
        schema = chart_schema(upstream, chart)
        if schema is None:
            continue
        values = merged(chart_defaults(upstream, chart), inputs.get("values", {}))
        errors = sorted(
            jsonschema.Draft7Validator(schema).iter_errors(values), key=lambda e: list(e.path)
        )
        assert not errors, f"{name}: " + "; ".join(
            f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors
        )
        checked += 1
    assert checked >= 3  # cert-manager, external-dns and external-secrets ship schemas


@pytest.mark.parametrize(
    ("ours", "reason"),
    [
        ({"crds": {"enabled": True, "typo": 1}}, "crds.typo"),
        ({"installCRD": True}, "installCRD"),
    ],
)
def test_unknown_paths_catches_typos(ours: dict[str, Any], reason: str, upstream: Path) -> None:
    assert unknown_paths(ours, chart_defaults(upstream, "cert-manager"), {}) == [reason]


def test_subchart_values_are_checked_against_the_subchart(upstream: Path) -> None:
    """A key only the grafana chart knows passes under `grafana:`; a typo there fails."""
    defaults = defaults_with_subcharts(upstream, "kube-prometheus-stack")
    assert "grafana.ini" not in chart_defaults(upstream, "kube-prometheus-stack")["grafana"]
    assert unknown_paths({"grafana": {"grafana.ini": {}}}, defaults, {}) == []
    assert unknown_paths({"grafana": {"adminPasswrd": "x"}}, defaults, {}) == [
        "grafana.adminPasswrd"
    ]


# Values kube-prometheus-stack 88.5.3 copies verbatim into its Prometheus and Alertmanager
# resources (templates/prometheus/prometheus.yaml, templates/alertmanager/alertmanager.yaml):
# values path -> field of the resource's spec.
COPIED_INTO: dict[tuple[str, str], dict[str, str]] = {
    ("monitoring.coreos.com", "Prometheus"): {
        "prometheus.prometheusSpec.scrapeClasses": "scrapeClasses",
        "prometheus.prometheusSpec.storageSpec": "storage",
        "prometheus.prometheusSpec.retention": "retention",
        "prometheus.prometheusSpec.retentionSize": "retentionSize",
        "prometheus.prometheusSpec.resources": "resources",
    },
    ("monitoring.coreos.com", "Alertmanager"): {
        "alertmanager.alertmanagerSpec.storage": "storage",
        "alertmanager.alertmanagerSpec.resources": "resources",
        "alertmanager.alertmanagerSpec.configSecret": "configSecret",
    },
}


def _at(values: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        if not isinstance(values, dict) or key not in values:
            return None
        values = values[key]
    return values


def test_values_copied_into_monitoring_resources_validate_against_their_crds(
    prod: PlanView, upstream: Path
) -> None:
    schemas = crd_schemas(upstream)
    hub = prod.one(":Release", "mgmt-kube-prometheus-stack").revealed_inputs["values"]
    for (group, kind), fields in COPIED_INTO.items():
        schema = strict(schemas[(group, "v1", kind)]["properties"]["spec"])
        spec = {field: _at(hub, path) for path, field in fields.items()}
        assert None not in spec.values(), spec
        errors = list(jsonschema.Draft7Validator(schema).iter_errors(spec))
        assert not errors, f"{kind}: " + "; ".join(
            f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors
        )


def test_a_key_allowed_for_its_comment_is_commented_upstream(upstream: Path) -> None:
    text = (upstream / "charts" / "kube-prometheus-stack" / "values.yaml").read_text()
    assert "    # configSecret:" in text
