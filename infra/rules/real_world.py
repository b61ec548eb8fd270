"""Rules a plan must satisfy to work on real infrastructure: each guards against one
behaviour of a cloud, a controller or a provider that shape checks cannot see, and cites
where that behaviour is written down.

``RULES`` look at one resource (they also run in CrossGuard); ``PLAN_RULES`` at one
stack's whole plan; ``STACKS_RULES`` at every stack of the repository together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from infra.rules.base import Guardrail, Props
from infra.rules.edge_rules import RULES as EDGE_RULES
from infra.rules.plan_rules import (
    Findings,
    PlannedResource,
    PlanRule,
    StackPlan,
    StacksRule,
)

RELEASE = "kubernetes:helm.sh/v3:Release"
PROXIED_ANNOTATION = "external-dns.alpha.kubernetes.io/cloudflare-proxied"


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


# --- one resource ---------------------------------------------------------------------


def _no_delete_unreachable(resource_type: str, props: Props, _protect: bool) -> Iterator[str]:
    if resource_type == "pulumi:providers:kubernetes" and _truthy(props.get("deleteUnreachable")):
        yield (
            "deleteUnreachable drops every object of the cluster from state when one refresh "
            "cannot reach it; the next `up` then fails on AlreadyExists"
        )


def _sync_options(resource_type: str, props: Props) -> list[str]:
    spec = props.get("spec") or {}
    if resource_type == "kubernetes:argoproj.io/v1alpha1:ApplicationSet":
        spec = (spec.get("template") or {}).get("spec") or {}
    elif resource_type != "kubernetes:argoproj.io/v1alpha1:Application":
        return []
    return list((spec.get("syncPolicy") or {}).get("syncOptions") or [])


def _no_create_namespace(resource_type: str, props: Props, _protect: bool) -> Iterator[str]:
    if "CreateNamespace=true" in _sync_options(resource_type, props):
        yield (
            "CreateNamespace=true: the project permits no cluster-scoped kinds, so the sync "
            "of a namespace Argo CD must create fails; Pulumi creates the namespaces"
        )


def _zone_ssl_mode(resource_type: str, props: Props, _protect: bool) -> Iterator[str]:
    if (
        resource_type != "cloudflare:index/zoneSetting:ZoneSetting"
        or props.get("settingId") != "ssl"
    ):
        return
    if props.get("value") in {"off", "flexible"}:
        yield (
            f"SSL mode {props.get('value')!r}: Cloudflare calls origins over HTTP and their "
            "HTTP->HTTPS redirect loops; use 'full' or 'strict'"
        )


# Inputs that force replacement and change with a credential or an endpoint.
REPLACED_WITH_CREDENTIALS: dict[str, tuple[str, ...]] = {
    # hashicorp/terraform-provider-aws internal/service/secretsmanager/secret_version.go
    "aws:secretsmanager/secretVersion:SecretVersion": ("secretString", "secretBinary"),
    # hashicorp/terraform-provider-aws internal/service/iam/access_key.go (`user` ForceNew)
    "aws:iam/accessKey:AccessKey": ("user",),
}


def _protected_credentials(resource_type: str, props: Props, protect: bool) -> Iterator[str]:
    inputs = REPLACED_WITH_CREDENTIALS.get(resource_type, ())
    if protect and any(key in props for key in inputs):
        yield (
            f"protected, but {', '.join(k for k in inputs if k in props)} forces replacement, "
            "which protect refuses: every credential or endpoint change would fail `up`"
        )


def _skip_await_not_atomic(resource_type: str, props: Props, _protect: bool) -> Iterator[str]:
    if (
        resource_type == RELEASE
        and _truthy(props.get("skipAwait"))
        and _truthy(props.get("atomic"))
    ):
        yield (
            "skipAwait with atomic: Helm turns the wait back on for an atomic release and "
            "rolls it back if its pods are not ready in time; drop atomic"
        )


RULES = [
    Guardrail(
        "skip-await-not-atomic",
        "A release that should not wait for its pods is not atomic (helm/helm v3 "
        "pkg/action/install.go: `i.Wait = i.Wait || i.Atomic`; pulumi-kubernetes "
        "provider/pkg/provider/helm_release.go: `client.Wait = !SkipAwait`).",
        "mandatory",
        _skip_await_not_atomic,
    ),
    Guardrail(
        "no-delete-unreachable",
        "Kubernetes providers keep unreachable clusters' objects in state "
        "(pulumi/pulumi-kubernetes provider/pkg/provider/provider.go, Read with "
        "clusterUnreachable and deleteUnreachable).",
        "mandatory",
        _no_delete_unreachable,
    ),
    Guardrail(
        "no-create-namespace",
        "Argo CD apps do not create namespaces their project cannot permit "
        "(argoproj/argo-cd v3.4.4 controller/sync_namespace.go, "
        "pkg/apis/application/v1alpha1/app_project_types.go IsGroupKindNamePermitted).",
        "mandatory",
        _no_create_namespace,
    ),
    Guardrail(
        "zone-ssl-mode",
        "The zone's SSL mode is Full or Full (strict), never Flexible "
        "(https://developers.cloudflare.com/ssl/troubleshooting/too-many-redirects/).",
        "mandatory",
        _zone_ssl_mode,
    ),
    Guardrail(
        "protected-credential-inputs",
        "No protected resource has an input that forces replacement and changes with a "
        "credential or endpoint (https://www.pulumi.com/docs/iac/concepts/resources/options/protect/).",
        "mandatory",
        _protected_credentials,
    ),
    *EDGE_RULES,
]


# --- one stack's plan -----------------------------------------------------------------


def _k8s_object(resource: PlannedResource) -> tuple[str, str, str]:
    inputs = resource.revealed_inputs
    metadata = inputs.get("metadata") or {}
    kind = str(inputs.get("kind") or resource.type.rsplit(":", 1)[-1])
    return kind, str(metadata.get("namespace") or ""), str(metadata.get("name") or "")


# Objects a chart Pulumi installs, or that chart's controller, creates itself. Pulumi may
# patch them (a *Patch resource) but must not create them: the create fails on
# AlreadyExists, or two owners fight over one object.
CHART_OWNED: dict[tuple[str, str, str], str] = {
    ("AppProject", "argocd", "default"): (
        "argocd-server creates it at start (argoproj/argo-cd v3.4.4 server/server.go "
        "initializeDefaultProject)"
    ),
    ("Secret", "argocd", "argocd-secret"): (
        "the argo-cd chart renders it (argoproj/argo-helm argo-cd-10.1.1 "
        "charts/argo-cd/values.yaml configs.secret.createSecret: true)"
    ),
    ("ConfigMap", "argocd", "argocd-cm"): (
        "the argo-cd chart renders it (argoproj/argo-helm argo-cd-10.1.1 "
        "charts/argo-cd/values.yaml configs.cm.create: true)"
    ),
}


def _chart_owned_objects(plan: StackPlan) -> Findings:
    for resource in plan.resources:
        if not resource.type.startswith("kubernetes:") or resource.type.endswith("Patch"):
            continue
        source = CHART_OWNED.get(_k8s_object(resource))
        if source:
            yield resource.name, f"creates an object that already exists: {source}"


# The chart whose release installs each API group's CRDs.
CRD_CHARTS = {
    "argoproj.io": "argo-cd",
    "cert-manager.io": "cert-manager",
    "acme.cert-manager.io": "cert-manager",
    "external-secrets.io": "external-secrets",
    "gateway.networking.k8s.io": "gateway-helm",
    "gateway.envoyproxy.io": "gateway-helm",
    "bitnami.com": "sealed-secrets",
    "monitoring.coreos.com": "kube-prometheus-stack",
}


def _chart(release: PlannedResource) -> str:
    return str(release.revealed_inputs.get("chart", "")).rsplit("/", 1)[-1]


def _waits_for_chart(plan: StackPlan, resource: PlannedResource, chart: str) -> bool:
    """Whether ``resource`` waits for a release of ``chart`` on its own cluster."""
    upstream = plan.upstream(resource)
    return any(
        r.urn in upstream and _chart(r) == chart and r.provider == resource.provider
        for r in plan.of_type(RELEASE)
    )


def _crd_before_custom_resource(plan: StackPlan) -> Findings:
    for resource in plan.resources:
        parts = resource.type.split(":")
        if parts[0] != "kubernetes" or len(parts) != 3:
            continue
        group = parts[1].rpartition("/")[0]
        chart = CRD_CHARTS.get(group)
        if chart is None:
            continue
        if not _waits_for_chart(plan, resource, chart):
            yield (
                resource.name,
                f"does not wait for the {chart} release that installs its CRD ({group}): "
                "the API server would reject it as an unknown kind",
            )


def match_filter(filters: list[str], domain: str) -> bool:
    """external-dns v0.21.0 `endpoint/domain_filter.go` matchFilter (include filters):
    a zone matches a filter that equals it or that it ends with, never a parent zone."""
    if not filters:
        return True
    name = domain.rstrip(".").lower()
    for raw in filters:
        flt = raw.strip().rstrip(".").lower()
        if flt.startswith(".") and name.endswith(flt):
            return True
        if name.count(".") == flt.count(".") and name == flt:
            return True
        if name.endswith("." + flt):
            return True
    return False


def zone_name(plan: StackPlan) -> str:
    return plan.config.cloudflare.zone_name or plan.config.domain


def _external_dns_finds_its_zone(plan: StackPlan) -> Findings:
    zone, zone_id = zone_name(plan), plan.config.cloudflare.zone_id
    for release in plan.of_type(RELEASE):
        if _chart(release) != "external-dns":
            continue
        values = release.revealed_inputs.get("values") or {}
        extra = values.get("extraArgs") or {}
        if isinstance(extra, dict) and extra.get("zone-id-filter") == zone_id:
            continue
        if not match_filter(list(values.get("domainFilters") or []), zone):
            yield (
                release.name,
                f"domain filters {values.get('domainFilters')} reject zone {zone!r} and "
                "no --zone-id-filter names it: external-dns would publish nothing",
            )


def proxied_hosts(resource: PlannedResource) -> list[str]:
    inputs = resource.revealed_inputs
    if resource.type in {
        "cloudflare:index/loadBalancer:LoadBalancer",
        "cloudflare:index/dnsRecord:DnsRecord",
    }:
        return [str(inputs["name"])] if _truthy(inputs.get("proxied")) else []
    annotations = (inputs.get("metadata") or {}).get("annotations") or {}
    if not _truthy(annotations.get(PROXIED_ANNOTATION)):
        return []
    spec = inputs.get("spec") or {}
    return [*(spec.get("hostnames") or []), *(r.get("host") for r in spec.get("rules") or [])]


def _proxied_depth(plan: StackPlan) -> Findings:
    zone = zone_name(plan)
    for resource in plan.resources:
        for host in proxied_hosts(resource):
            if not host:
                continue
            below = host.removesuffix("." + zone)
            if below == host or "." in below:
                yield (
                    resource.name,
                    f"proxied host {host!r} is not one label below zone {zone!r}: Universal "
                    "SSL covers the apex and one level only, so the edge has no certificate",
                )


def _gateway_api_needs_crds(plan: StackPlan) -> Findings:
    for release in plan.of_type(RELEASE):
        values = release.revealed_inputs.get("values") or {}
        config = values.get("config") or {}
        if _chart(release) != "cert-manager" or not (config.get("gatewayAPI") or {}).get("enabled"):
            continue
        if not _waits_for_chart(plan, release, "gateway-helm"):
            yield (
                release.name,
                "enables Gateway API support without waiting for the release that installs "
                "the Gateway API CRDs: cert-manager exits at start and the release rolls back",
            )


SECURITY_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"
HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"


def _policy_before_route(plan: StackPlan) -> Findings:
    routes = {
        (r.provider, _k8s_object(r)[1], _k8s_object(r)[2]): r for r in plan.of_type(HTTP_ROUTE)
    }
    for policy in plan.of_type(SECURITY_POLICY):
        spec = policy.revealed_inputs.get("spec") or {}
        namespace = _k8s_object(policy)[1]
        for target in spec.get("targetRefs") or []:
            if target.get("kind") != "HTTPRoute":
                continue
            route = routes.get((policy.provider, namespace, str(target.get("name"))))
            if route is not None and policy.urn not in plan.upstream(route):
                yield (
                    route.name,
                    f"does not wait for SecurityPolicy {policy.name}, which guards it: until "
                    "the policy exists (and after it is deleted first) the route serves "
                    "without it",
                )


def _webhook_certificates_need_cert_manager(plan: StackPlan) -> Findings:
    """kube-prometheus-stack with `admissionWebhooks.certManager` renders cert-manager
    Issuers and a Certificate itself, out of sight of crd-before-custom-resource."""
    for release in plan.of_type(RELEASE):
        values = release.revealed_inputs.get("values") or {}
        webhooks = (values.get("prometheusOperator") or {}).get("admissionWebhooks") or {}
        if _chart(release) != "kube-prometheus-stack" or not _truthy(
            (webhooks.get("certManager") or {}).get("enabled")
        ):
            continue
        if not _waits_for_chart(plan, release, "cert-manager"):
            yield (
                release.name,
                "takes its webhook certificate from cert-manager without waiting for the "
                "cert-manager release: its Issuer and Certificate are unknown kinds until then",
            )


def _webhook_policy_on_install(webhooks: Mapping[str, Any]) -> str:
    """The `failurePolicy` kube-prometheus-stack 88.5.3 renders on `helm install`
    (templates/prometheus-operator/admission-webhooks/*WebhookConfiguration.yaml)."""
    policy = str(webhooks.get("failurePolicy") or "")
    if policy == "IgnoreOnInstallOnly":
        return "Ignore"
    if policy:
        return policy
    return "Ignore" if _truthy((webhooks.get("patch") or {}).get("enabled", True)) else "Fail"


def _renders_prometheus_rules(values: Mapping[str, Any]) -> bool:
    return (
        _truthy((values.get("defaultRules") or {}).get("create", True))
        or bool(values.get("additionalPrometheusRulesMap"))
        or bool(values.get("additionalPrometheusRules"))
    )


def _monitoring_webhook_open_on_install(plan: StackPlan) -> Findings:
    """On install the operator's pod cannot answer yet (its certificate Secret is made in
    the same release), so a `Fail` webhook refuses the release's own PrometheusRules."""
    for release in plan.of_type(RELEASE):
        values = release.revealed_inputs.get("values") or {}
        operator = values.get("prometheusOperator") or {}
        webhooks = operator.get("admissionWebhooks") or {}
        if (
            _chart(release) == "kube-prometheus-stack"
            and _truthy(operator.get("enabled", True))
            and _truthy(webhooks.get("enabled", True))
            and _renders_prometheus_rules(values)
            and _webhook_policy_on_install(webhooks) == "Fail"
        ):
            yield (
                release.name,
                "its PrometheusRule admission webhook fails closed on install, before the "
                "operator serves it: the install fails and an atomic release rolls back; set "
                "prometheusOperator.admissionWebhooks.failurePolicy: IgnoreOnInstallOnly",
            )


def _autoscaled_pools(plan: StackPlan) -> Findings:
    for cluster in plan.of_type("vultr:index/kubernetes:Kubernetes"):
        pool = cluster.revealed_inputs.get("nodePools") or {}
        if pool.get("autoScaler") and "nodePools.nodeQuantity" not in cluster.ignore_changes:
            yield (
                cluster.name,
                "autoscaled pool without ignoreChanges on nodePools.nodeQuantity: the next "
                "`up` after a refresh resizes it back to the configured count",
            )


# Names a cloud account (or a zone) holds once: type -> the input that carries the name.
ACCOUNT_SCOPED: dict[str, str] = {
    "civo:index/kubernetesCluster:KubernetesCluster": "name",
    "civo:index/firewall:Firewall": "name",
    "civo:index/network:Network": "label",
    "civo:index/database:Database": "name",
    "vultr:index/kubernetes:Kubernetes": "label",
    "aws:iam/user:User": "name",
    "aws:secretsmanager/secret:Secret": "name",
    "cloudflare:index/apiToken:ApiToken": "name",
    "cloudflare:index/loadBalancerPool:LoadBalancerPool": "name",
    "cloudflare:index/loadBalancer:LoadBalancer": "name",
}


def account_names(plan: StackPlan) -> Iterator[tuple[tuple[str, str], str]]:
    """((type, name), resource) for every account-scoped name in the plan."""
    for resource in plan.resources:
        key = ACCOUNT_SCOPED.get(resource.type)
        name = resource.revealed_inputs.get(key) if key else None
        if isinstance(name, str):
            yield (resource.type, name), resource.name


def _unique_account_names(plan: StackPlan) -> Findings:
    seen: dict[tuple[str, str], str] = {}
    for key, resource in account_names(plan):
        if key in seen:
            yield resource, f"{key[0].rsplit(':', 1)[-1]} name {key[1]!r} is also {seen[key]}'s"
        seen.setdefault(key, resource)


PLAN_RULES = [
    PlanRule(
        "no-chart-owned-objects",
        "Pulumi creates no object that a chart it installs, or that chart's controller, "
        "creates itself (see CHART_OWNED for each object and its source).",
        "infra/rules/real_world.py CHART_OWNED",
        _chart_owned_objects,
    ),
    PlanRule(
        "crd-before-custom-resource",
        "Every custom resource waits for the release that installs its CRD.",
        "https://helm.sh/docs/chart_best_practices/custom_resource_definitions/",
        _crd_before_custom_resource,
    ),
    PlanRule(
        "external-dns-finds-its-zone",
        "Every external-dns instance can find its Cloudflare zone.",
        "kubernetes-sigs/external-dns v0.21.0 provider/cloudflare/cloudflare.go Zones, "
        "endpoint/domain_filter.go matchFilter",
        _external_dns_finds_its_zone,
    ),
    PlanRule(
        "proxied-hostname-depth",
        "No proxied host name is deeper than one label below the zone.",
        "https://developers.cloudflare.com/ssl/edge-certificates/universal-ssl/limitations/",
        _proxied_depth,
    ),
    PlanRule(
        "gateway-api-needs-crds",
        "cert-manager enables Gateway API support only after the Gateway API CRDs.",
        "cert-manager/cert-manager v1.21.1 pkg/controller/context.go",
        _gateway_api_needs_crds,
    ),
    PlanRule(
        "webhook-certificates-need-cert-manager",
        "kube-prometheus-stack takes its webhook certificate from cert-manager only after "
        "the cert-manager release.",
        "prometheus-community/helm-charts kube-prometheus-stack-88.5.3 "
        "templates/prometheus-operator/certmanager.yaml",
        _webhook_certificates_need_cert_manager,
    ),
    PlanRule(
        "monitoring-webhook-open-on-install",
        "kube-prometheus-stack's PrometheusRule webhook lets the release's own rules in "
        "on install, while the operator that serves it is not running yet.",
        "prometheus-community/helm-charts kube-prometheus-stack-88.5.3 "
        "templates/prometheus-operator/admission-webhooks/validatingWebhookConfiguration.yaml "
        "(failurePolicy), values.yaml prometheusOperator.admissionWebhooks.failurePolicy; "
        "prometheus-community/helm-charts#2020",
        _monitoring_webhook_open_on_install,
    ),
    PlanRule(
        "policy-before-route",
        "A route an Envoy Gateway SecurityPolicy guards is created after the policy and "
        "deleted before it; a policy whose route does not exist yet is held, not refused.",
        "envoyproxy/gateway v1.9.0 internal/gatewayapi/securitypolicy.go "
        "(skips a policy whose route is not found)",
        _policy_before_route,
    ),
    PlanRule(
        "autoscaled-pool-size",
        "An autoscaled node pool's size is left to the autoscaler.",
        "vultr/terraform-provider-vultr#472; v2.27.1 vultr/resource_vultr_kubernetes.go Update",
        _autoscaled_pools,
    ),
    PlanRule(
        "unique-account-names",
        "Names a cloud account holds once are unique within the stack.",
        "civo/terraform-provider-civo v1.1.4 civo/kubernetes/resource_kubernetes_cluster.go; "
        "civo/civogo v0.3.89 errors.go",
        _unique_account_names,
    ),
]


# --- every stack together -------------------------------------------------------------


def _unique_across_stacks(plans: Mapping[str, StackPlan]) -> Iterator[tuple[str, str, str]]:
    owners: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for stack, plan in sorted(plans.items()):
        for key, resource in account_names(plan):
            owners[key].append((stack, resource))
    for (typ, name), found in sorted(owners.items()):
        stacks = sorted({stack for stack, _ in found})
        if len(stacks) > 1:
            for stack, resource in found[1:]:
                if stack != found[0][0]:
                    yield (
                        stack,
                        resource,
                        f"{typ.rsplit(':', 1)[-1]} name {name!r} is also used by stack "
                        f"{found[0][0]!r} ({found[0][1]}): the second `up` fails on a duplicate",
                    )


def _one_zone_setting(plans: Mapping[str, StackPlan]) -> Iterator[tuple[str, str, str]]:
    values: dict[tuple[str, str], set[str]] = defaultdict(set)
    where: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for stack, plan in sorted(plans.items()):
        for setting in plan.of_type("cloudflare:index/zoneSetting:ZoneSetting"):
            inputs = setting.revealed_inputs
            key = (str(inputs.get("zoneId")), str(inputs.get("settingId")))
            values[key].add(str(inputs.get("value")))
            where[key].append((stack, setting.name))
    for key, seen in sorted(values.items()):
        if len(seen) > 1:
            for stack, resource in where[key]:
                yield (
                    stack,
                    resource,
                    f"zone {key[0]} setting {key[1]!r} is set to {sorted(seen)} by different "
                    "stacks: the last `up` wins",
                )


def _zone_under_another(plans: Mapping[str, StackPlan]) -> Iterator[tuple[str, str, str]]:
    zones = {
        stack: plan.config.cloudflare.zone_name or plan.config.domain
        for stack, plan in plans.items()
    }
    for stack, zone in sorted(zones.items()):
        if plans[stack].config.cloudflare.plan == "enterprise":
            continue
        for other, parent in sorted(zones.items()):
            if zone.endswith(f".{parent}"):
                yield (
                    stack,
                    zone,
                    f"is a zone of its own under stack {other!r}'s zone {parent!r}: that needs "
                    "Cloudflare's subdomain setup, which only Enterprise plans have "
                    "(platform:cloudflare.plan is "
                    f"{plans[stack].config.cloudflare.plan!r}); give the environment a "
                    "registrable domain of its own",
                )


STACKS_RULES = [
    StacksRule(
        "unique-account-names-across-stacks",
        "Account-scoped names are unique across all stacks in the repository.",
        "civo/terraform-provider-civo v1.1.4 civo/kubernetes/resource_kubernetes_cluster.go "
        '("must be unique within your account"); civo/civogo v0.3.89 errors.go',
        _unique_across_stacks,
    ),
    StacksRule(
        "one-zone-setting",
        "Stacks that share a zone agree on its settings.",
        "cloudflare/terraform-provider-cloudflare v5.19.1 internal/services/zone_setting/resource.go "
        "(Delete is a no-op; the setting is zone-wide)",
        _one_zone_setting,
    ),
    StacksRule(
        "zone-under-another-stack",
        "A stack's zone is not a subdomain of another stack's zone, unless on Enterprise.",
        "https://developers.cloudflare.com/dns/zone-setups/subdomain-setup/ (Availability); "
        "pulumi-cloudflare Zone docs (Subdomain Support entitlement)",
        _zone_under_another,
    ),
]
