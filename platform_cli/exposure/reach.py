"""The matrix: for every endpoint of a plan, the sources that reach it (the web
endpoints in ``routes``; the APIs, the apps' own Services and the database here)."""

from __future__ import annotations

from collections.abc import Sequence

import platform_cli.exposure.plan_facts as pf
from infra import naming
from infra.addons import admission
from infra.config import PlatformConfig
from infra.rules.plan_rules import dig
from platform_cli.exposure.matrix import Endpoint, Matrix
from platform_cli.exposure.plan_facts import Plan, meta
from platform_cli.exposure.routes import envoy_routes, nginx_routes
from platform_cli.exposure.sources import Sources, pods
from platform_cli.runner import Registration

CLUSTER_COMPONENTS = {"platform:index:MgmtCluster", "platform:index:WorkloadCluster"}
NAMESPACE_NAME = "kubernetes.io/metadata.name"


def matrix_of(
    stack: str, config: PlatformConfig, sources: Sources, resources: Sequence[Registration]
) -> Matrix:
    plan = Plan(resources)
    matrix = Matrix(stack, sources)
    clusters = [r.name for r in plan.resources if r.type in CLUSTER_COMPONENTS]
    proxied = pf.proxied_records(plan)
    zone_cert = pf.zone_authenticates(plan)
    for cluster in clusters:
        matrix.endpoints.append(_api(plan, sources, cluster))
        routes = envoy_routes(plan, sources, cluster, proxied, zone_cert)
        routes += nginx_routes(plan, sources, cluster, proxied, zone_cert)
        matrix.endpoints += routes
        matrix.endpoints += _in_cluster(plan, config, sources, cluster, routes)
    matrix.endpoints += _databases(plan, sources)
    matrix.endpoints += [
        Endpoint(
            naming.https_url(str(lb.revealed_inputs.get("name"))),
            "global",
            frozenset(sources.names),
            note="Cloudflare load balancer",
        )
        for lb in plan.of_type(pf.CF_LOAD_BALANCER)
    ]
    order = {name: i for i, name in enumerate(["mgmt", *sources.workload_clusters, "global"])}
    matrix.endpoints.sort(key=lambda e: (order.get(e.cluster, len(order)), _kind(e.name), e.name))
    return matrix


# Rows of one cluster: its API, its load balancers, their routes, then each app's pods.
KINDS = (
    " Kubernetes API ",
    " load balancer (",
    "https://",
    " Service on ",
    "a LoadBalancer ",
    "a Service with externalIPs ",
)


def _kind(name: str) -> int:
    return next((i for i, kind in enumerate(KINDS) if kind in name), len(KINDS))


def _api(plan: Plan, sources: Sources, cluster: str) -> Endpoint:
    name = f"{cluster} Kubernetes API :6443"
    if any(plan.on(cluster, pf.VULTR_CLUSTER)):
        return Endpoint(
            name,
            cluster,
            frozenset(sources.names),
            note="VKE's firewall group guards the nodes; the API is Vultr's hosted control "
            "plane, and nothing upstream shows the group filters it",
        )
    firewall = next(
        (f for f in plan.on(cluster, pf.FIREWALL) if f.name == f"{cluster}-firewall"), None
    )
    if firewall is None:
        return Endpoint(name, cluster, frozenset(sources.names), note="not managed here")
    return Endpoint(
        name, cluster, frozenset(sources.admitted_by(pf.civo_rules(firewall).get("6443", [])))
    )


def _in_cluster(
    plan: Plan, config: PlatformConfig, sources: Sources, cluster: str, routes: list[Endpoint]
) -> list[Endpoint]:
    """Each app's Service on the cluster, and the LoadBalancer Services it could open."""
    found = []
    by_namespace = {
        a.target_namespace: a.name for a in config.apps if cluster in sources.apps.get(a.name, ())
    }
    bindings = list(plan.on(cluster, pf.ADMISSION_BINDING))
    for namespace, app in sorted(by_namespace.items()):
        policy = plan.named(cluster, pf.NETWORK_POLICY, "default-deny-ingress", namespace)
        reach = {pods(app)}
        via_routes = False
        if policy is None:
            reach |= {pods(cluster), *sources.apps_on({pods(cluster)})}
        else:
            for rule in dig(policy.revealed_inputs, "spec", "ingress") or []:
                for peer in rule.get("from") or []:
                    named = dig(peer, "namespaceSelector", "matchLabels", NAMESPACE_NAME)
                    if named in by_namespace:
                        reach.add(pods(by_namespace[named]))
                    elif named is not None:
                        via_routes = via_routes or any(e.namespace == namespace for e in routes)
        found.append(
            Endpoint(
                f"{app} Service on {cluster} (in-cluster)",
                cluster,
                frozenset(reach),
                via_routes=via_routes,
            )
        )
        for row, expression, opened in (
            (
                f"a LoadBalancer or NodePort Service {app} creates on {cluster}",
                admission.SERVICE_TYPES_EXPRESSION,
                "the cloud gives it a public load balancer without a firewall",
            ),
            (
                f"a Service with externalIPs {app} creates on {cluster}",
                admission.EXTERNAL_IPS_EXPRESSION,
                "every node sends it the traffic for those addresses, the cluster's own "
                "pods' included (CVE-2020-8554)",
            ),
        ):
            denied = any(_denies(plan, cluster, b, namespace, expression) for b in bindings)
            found.append(
                Endpoint(
                    row,
                    cluster,
                    frozenset() if denied else frozenset(sources.names),
                    note="refused at admission" if denied else opened,
                )
            )
    return found


def _denies(
    plan: Plan, cluster: str, binding: Registration, namespace: str, expression: str
) -> bool:
    """The binding puts a policy that checks ``expression`` in force, denying, on the
    namespace (its labels as the plan sets them)."""
    spec = binding.revealed_inputs.get("spec") or {}
    if "Deny" not in (spec.get("validationActions") or []):
        return False
    policy = plan.named(cluster, pf.ADMISSION_POLICY, str(spec.get("policyName")), None)
    checks = dig(policy.revealed_inputs, "spec", "validations") if policy else None
    if not any(v.get("expression") == expression for v in checks or []):
        return False
    ns = plan.named(cluster, pf.NAMESPACE, namespace, None)
    labels = (meta(ns).get("labels") or {}) if ns else {}
    selector = dig(spec, "matchResources", "namespaceSelector") or {}
    expressions = selector.get("matchExpressions") or []
    if any(e.get("operator") != "Exists" for e in expressions):
        return False  # an operator this model does not read: counted as not matching
    wanted = selector.get("matchLabels") or {}
    return all(labels.get(k) == v for k, v in wanted.items()) and all(
        e.get("key") in labels for e in expressions
    )


def _databases(plan: Plan, sources: Sources) -> list[Endpoint]:
    found = []
    for firewall in plan.of_type(pf.FIREWALL):
        for rule in firewall.revealed_inputs.get("ingressRules") or []:
            if rule.get("label") == "database-clients":
                found.append(
                    Endpoint(
                        f"database {firewall.name.removesuffix('-firewall')} :{rule.get('portRange')}",
                        "global",
                        frozenset(sources.admitted_by(rule.get("cidrs") or [])),
                    )
                )
    return found
