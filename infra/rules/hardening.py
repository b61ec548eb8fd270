"""Hardening rules: no way around the edge, no credential an app does not need, no RBAC
wider than named kinds, and namespaces that say how strict they are."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from infra import edge, pod_security
from infra.edge import INTERNET
from infra.rules.base import Guardrail, Props

RBAC_ROLES = {
    "kubernetes:rbac.authorization.k8s.io/v1:Role",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
}
# Each hands out more than the kind it sits on: a shell or tunnel into any pod, a token
# for any ServiceAccount, the kubelet's API, or RBAC beyond what the holder has.
ESCALATING_RESOURCES = {
    "pods/exec",
    "pods/attach",
    "pods/portforward",
    "serviceaccounts/token",
    "nodes/proxy",
}
ESCALATING_VERBS = {"escalate", "bind", "impersonate"}
IAM_POLICIES = {
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
}
# A Secrets Manager ARN naming one secret: Secrets Manager's six-character suffix only.
EXACT_SECRET = re.compile(r"^arn:aws:secretsmanager:[^*?]+:secret:[^*?]+-\?{6}$")
# Kinds an AppProject must keep from apps: each reaches a platform credential.
CREDENTIAL_KINDS = [
    ("external-secrets.io", "ExternalSecret"),
    ("external-secrets.io", "SecretStore"),
    ("generators.external-secrets.io", "ECRAuthorizationToken"),
    ("cert-manager.io", "Certificate"),
    ("cert-manager.io", "Issuer"),
]


def load_balancer_annotations(resource_type: str, props: Props) -> Mapping[str, Any] | None:
    """The annotations a cloud load balancer is created from, or None if the resource
    makes no load balancer (or its annotations are still unknown)."""
    service: Mapping[str, Any]
    if resource_type == "kubernetes:core/v1:Service":
        if (props.get("spec") or {}).get("type") != "LoadBalancer":
            return None
        annotations = (props.get("metadata") or {}).get("annotations") or {}
        return annotations if isinstance(annotations, Mapping) else None
    if resource_type == "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy":
        provider = (props.get("spec") or {}).get("provider") or {}
        service = (provider.get("kubernetes") or {}).get("envoyService") or {}
    elif resource_type == "kubernetes:helm.sh/v3:Release" and str(props.get("chart", "")).endswith(
        "ingress-nginx"
    ):
        service = ((props.get("values") or {}).get("controller") or {}).get("service") or {}
        if service.get("enabled") is False:
            return None
    else:
        return None
    # Both default to a LoadBalancer Service.
    if service.get("type", "LoadBalancer") != "LoadBalancer":
        return None
    annotations = service.get("annotations") or {}
    return annotations if isinstance(annotations, Mapping) else None


def _restricted_load_balancers(resource_type: str, props: Props, _protect: bool) -> Iterator[str]:
    annotations = load_balancer_annotations(resource_type, props)
    if annotations is None:
        return
    exposure = annotations.get(edge.EXPOSURE)
    if exposure is None:
        yield f"a load balancer must state who may reach it ({edge.EXPOSURE} annotation)"
        return
    if exposure not in edge.RESTRICTED:
        return
    if not any(key in annotations for key in edge.FIREWALL_ANNOTATIONS):
        yield (
            f"a load balancer exposed to {exposure!r} only must carry its cloud's firewall "
            f"({', '.join(edge.FIREWALL_ANNOTATIONS)}); without it the cloud opens it to all"
        )
    rules = annotations.get(edge.VULTR_FIREWALL_RULES)
    if isinstance(rules, str):
        sources = edge.vultr_sources(rules)
        for source in sorted(set(sources) & INTERNET):
            yield f"the load balancer's firewall admits {source}, bypassing the edge"
        if exposure == "admin" and edge.CLOUDFLARE in sources:
            yield "an admin-only load balancer's firewall admits Cloudflare"


def _rbac_rules(resource_type: str, props: Props) -> list[Mapping[str, Any]]:
    if resource_type not in RBAC_ROLES:
        return []
    return [r for r in props.get("rules") or [] if isinstance(r, Mapping)]


def _no_wildcard_rbac(resource_type: str, props: Props, _protect: bool) -> Iterator[str]:
    for rule in _rbac_rules(resource_type, props):
        for key in ("apiGroups", "resources", "verbs", "nonResourceURLs"):
            if any("*" in str(item) for item in rule.get(key) or []):
                # `resources: ["*"]` also matches every subresource: pods/exec, tokens.
                yield f"rule {dict(rule)} has a wildcard in {key}: name what it grants"


def _no_escalating_grants(resource_type: str, props: Props, _protect: bool) -> Iterator[str]:
    for rule in _rbac_rules(resource_type, props):
        for resource in sorted(set(rule.get("resources") or []) & ESCALATING_RESOURCES):
            yield f"grants {resource}"
        for verb in sorted(set(rule.get("verbs") or []) & ESCALATING_VERBS):
            yield f"grants the {verb!r} verb"


def _scoped_secret_stores(resource_type: str, props: Props, _protect: bool) -> Iterator[str]:
    if resource_type != "kubernetes:external-secrets.io/v1:ClusterSecretStore":
        return
    conditions = (props.get("spec") or {}).get("conditions")
    if not conditions:
        yield "a ClusterSecretStore without conditions serves every namespace"
        return
    for condition in conditions:
        if not any(condition.get(k) for k in ("namespaces", "namespaceRegexes")):
            yield "each condition must name its namespaces (a label selector can be forged)"
        for pattern in condition.get("namespaceRegexes") or []:
            # ESO 2.9.0 matches unanchored: "blog" would also admit "evil-blog-x".
            if not (pattern.startswith("^") and pattern.endswith("$")):
                yield f"namespace regex {pattern!r} must be anchored with ^ and $"


def _policy_document(props: Props) -> Mapping[str, Any] | None:
    raw = props.get("policy")
    if isinstance(raw, str):
        try:
            document = json.loads(raw)
        except json.JSONDecodeError:
            return None
        return document if isinstance(document, Mapping) else None
    return raw if isinstance(raw, Mapping) else None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _exact_secret_access(resource_type: str, props: Props, _protect: bool) -> Iterator[str]:
    if resource_type not in IAM_POLICIES:
        return
    document = _policy_document(props)
    if document is None:
        return  # unknown at preview
    for statement in _as_list(document.get("Statement") or []):
        if statement.get("Effect") != "Allow":
            continue
        actions = [str(a) for a in _as_list(statement.get("Action") or [])]
        if not any(fnmatchcase("secretsmanager:GetSecretValue", a) for a in actions):
            continue
        if _tag_scoped(statement):
            continue
        for resource in _as_list(statement.get("Resource") or []):
            if not EXACT_SECRET.match(str(resource)):
                yield (
                    f"reads secrets by pattern {resource!r}: name each secret (…-??????), "
                    "or admit only secrets tagged for the reader"
                )


def _tag_scoped(statement: Mapping[str, Any]) -> bool:
    """A statement that reads only secrets carrying a given tag value: each secret is then
    granted by its own tags, one by one, as exactly as by name."""
    equals = (statement.get("Condition") or {}).get("StringEquals") or {}
    return any(
        key.startswith(("secretsmanager:ResourceTag/", "aws:ResourceTag/"))
        and isinstance(value, str)
        and "*" not in value
        for key, value in equals.items()
    )


def _pod_security_labels(resource_type: str, props: Props, _protect: bool) -> Iterator[str]:
    if resource_type != "kubernetes:core/v1:Namespace":
        return
    metadata = props.get("metadata") or {}
    level = (metadata.get("labels") or {}).get(pod_security.ENFORCE)
    if level is None:
        yield f"namespace {metadata.get('name')!r} enforces no Pod Security level"
    elif level != "restricted" and not (metadata.get("annotations") or {}).get(
        pod_security.EXCEPTION
    ):
        yield (
            f"namespace {metadata.get('name')!r} enforces {level!r} without a reason "
            f"({pod_security.EXCEPTION} annotation)"
        )


def _forbidden(group: str, kind: str, listed: list[Mapping[str, Any]]) -> bool:
    """Argo CD matches an AppProject's group and kind entries as shell patterns
    (pkg/apis/application/v1alpha1/types.go `isResourceInList`)."""
    return any(
        fnmatchcase(group, str(e.get("group", ""))) and fnmatchcase(kind, str(e.get("kind", "")))
        for e in listed
    )


def _apps_cannot_reach_credentials(
    resource_type: str, props: Props, _protect: bool
) -> Iterator[str]:
    if resource_type != "kubernetes:argoproj.io/v1alpha1:AppProject":
        return
    spec = props.get("spec") or {}
    if spec.get("namespaceResourceWhitelist") == []:
        return  # a closed project: apps may create nothing at all
    blacklist = list(spec.get("namespaceResourceBlacklist") or [])
    for group, kind in CREDENTIAL_KINDS:
        if not _forbidden(group, kind, blacklist):
            yield f"apps may create {group}/{kind}, which reaches a platform credential"


RULES = [
    Guardrail(
        "restricted-load-balancers",
        "Every cloud load balancer states its exposure; a restricted one carries its cloud's "
        "firewall and admits neither the internet nor, when admin-only, Cloudflare.",
        "mandatory",
        _restricted_load_balancers,
    ),
    Guardrail(
        "no-wildcard-rbac",
        "Roles and ClusterRoles name their API groups, resources and verbs.",
        "mandatory",
        _no_wildcard_rbac,
    ),
    Guardrail(
        "no-escalating-grants",
        "No role grants exec, attach, port-forward, token minting, the node proxy, or the "
        "escalate, bind and impersonate verbs.",
        "mandatory",
        _no_escalating_grants,
    ),
    Guardrail(
        "scoped-secret-stores",
        "ClusterSecretStores admit only the namespaces they name.",
        "mandatory",
        _scoped_secret_stores,
    ),
    Guardrail(
        "exact-secret-access",
        "IAM policies read Secrets Manager secrets by exact name or by the reader's own tag, "
        "never by prefix alone.",
        "mandatory",
        _exact_secret_access,
    ),
    Guardrail(
        "pod-security-labels",
        "Every namespace enforces a Pod Security level; below restricted only with a reason.",
        "mandatory",
        _pod_security_labels,
    ),
    Guardrail(
        "apps-cannot-reach-credentials",
        "AppProjects keep ExternalSecrets, SecretStores and certificates away from apps.",
        "mandatory",
        _apps_cannot_reach_credentials,
    ),
]
