"""The platform's first guardrails: what every plan must keep (no open admin ports,
pinned charts, scoped Argo CD registrations, closed AppProjects, protected databases)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from infra import naming
from infra.edge import INTERNET
from infra.rules.base import WEB_PORTS, Guardrail, Props
from infra.versions import CHARTS


def _no_open_admin_ports(resource_type: str, props: Props, _protect: bool) -> Iterator[str]:
    if resource_type == "civo:index/firewall:Firewall":
        for rule in props.get("ingressRules") or []:
            if INTERNET & set(rule.get("cidrs") or []) and rule.get("portRange") not in WEB_PORTS:
                yield f"rule {rule.get('label')!r} opens port {rule.get('portRange')} to the internet"
    if resource_type == "vultr:index/firewallRule:FirewallRule":
        everyone = props.get("subnetSize") == 0 and props.get("source") != "cloudflare"
        if everyone and str(props.get("port")) not in WEB_PORTS:
            yield f"rule opens port {props.get('port')} to the internet"


def _pinned_charts(resource_type: str, props: Props, _protect: bool) -> Iterator[str]:
    if resource_type != "kubernetes:helm.sh/v3:Release":
        return
    chart = str(props.get("chart", "")).rsplit("/", 1)[-1]
    if chart not in CHARTS:
        yield f"chart {chart!r} is not one of the platform's pinned charts"
    if not props.get("version"):
        yield f"chart {chart!r} has no version: every install must be reproducible"


def _bearer_token_registrations(resource_type: str, props: Props, _protect: bool) -> Iterator[str]:
    labels = (props.get("metadata") or {}).get("labels") or {}
    if (
        resource_type != "kubernetes:core/v1:Secret"
        or labels.get("argocd.argoproj.io/secret-type") != "cluster"
    ):
        return
    raw = (props.get("stringData") or {}).get("config")
    if not isinstance(raw, str):
        return  # still unknown at preview
    config = json.loads(raw)
    tls = config.get("tlsClientConfig") or {}
    if "bearerToken" not in config:
        yield "an Argo CD cluster must authenticate with a scoped bearer token"
    if {"certData", "keyData"} & tls.keys():
        yield "an Argo CD cluster must not carry client certificates"
    if tls.get("insecure"):
        yield "an Argo CD cluster must verify the API server's certificate"


def _closed_app_projects(resource_type: str, props: Props, _protect: bool) -> Iterator[str]:
    if resource_type.removesuffix("Patch") != "kubernetes:argoproj.io/v1alpha1:AppProject":
        return
    spec = props.get("spec") or {}
    if "*" in (spec.get("sourceRepos") or []):
        yield "an AppProject must list its source repositories, not '*'"
    for destination in spec.get("destinations") or []:
        if "*" in {
            destination.get("server"),
            destination.get("name"),
            destination.get("namespace"),
        }:
            yield "an AppProject must list its destinations, not '*'"
    for allowed in spec.get("clusterResourceWhitelist") or []:
        yield f"apps may not create cluster-scoped {allowed.get('kind')!r} resources"


def _protected_databases(resource_type: str, props: Props, protect: bool) -> Iterator[str]:
    """Only a production database: elsewhere one is meant to be deletable, and a warning
    would name nothing to change. Its cloud name starts with the environment's
    (``naming.database_cloud_name``), which is what makes a stack production."""
    name = str(props.get("name") or "")
    database = resource_type == "civo:index/database:Database"
    if database and not protect and naming.is_production(name):
        yield (
            f"the production database {name} is not protected: remove "
            "platform:database.protect: false once what needed it is done"
        )


RULES = [
    Guardrail(
        "no-open-admin-ports",
        "Only 80 and 443 may be open to the whole internet; APIs and databases are not.",
        "mandatory",
        _no_open_admin_ports,
    ),
    Guardrail(
        "pinned-charts",
        "Helm releases install only the platform's pinned charts, at an explicit version.",
        "mandatory",
        _pinned_charts,
    ),
    Guardrail(
        "bearer-token-registrations",
        "Argo CD cluster registrations use scoped bearer tokens and verify TLS.",
        "mandatory",
        _bearer_token_registrations,
    ),
    Guardrail(
        "closed-app-projects",
        "AppProjects name their repositories and destinations and allow no cluster resources.",
        "mandatory",
        _closed_app_projects,
    ),
    Guardrail(
        "protected-databases",
        "Managed databases are protected from deletion.",
        "advisory",
        _protected_databases,
    ),
]
