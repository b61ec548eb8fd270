"""Declarative Argo CD cluster registration with a scoped bearer token.

In the workload cluster: the `argocd-manager` ServiceAccount and a long-lived token
Secret, and, in each app namespace placed there (``grant_namespace``), a Role and
RoleBinding that read and write the kinds apps ship, by name: no wildcard, no
cluster-scoped kind, no `pods/exec`, `pods/attach` or `serviceaccounts/token`.
Argo CD is told the same list of namespaces (`namespaces`, `clusterResources: false`),
so it watches each of them on its own and never needs a cluster-wide read. In the
management cluster: the `argocd.argoproj.io/secret-type: cluster` Secret with the token
and the cluster CA, never client certificates.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.addons.base import AddonContext, Namespace
from infra.outputs import secret

SERVICE_ACCOUNT = "argocd-manager"
NAMESPACE = "kube-system"
TOKEN_SECRET = "argocd-manager-token"
CLUSTER_SECRET_LABEL = "argocd.argoproj.io/secret-type"
READ = ["get", "list", "watch"]
WRITE = ["create", "update", "patch", "delete"]
# api group -> the namespaced kinds apps ship, which Argo CD creates, diffs and prunes.
# Roles and RoleBindings let app charts that carry them sync; RBAC's escalation check
# keeps what they grant within this list. Kinds that would reach a platform credential
# or the shared front door (ExternalSecrets, Certificates, routes, NetworkPolicies) are
# absent, as they are from the AppProject.
MANAGED: dict[str, list[str]] = {
    "": [
        "configmaps",
        "secrets",
        "services",
        "serviceaccounts",
        "persistentvolumeclaims",
        "pods",
    ],
    "apps": ["deployments", "statefulsets", "daemonsets"],
    "batch": ["jobs", "cronjobs"],
    "autoscaling": ["horizontalpodautoscalers"],
    "policy": ["poddisruptionbudgets"],
    "rbac.authorization.k8s.io": ["roles", "rolebindings"],
    "bitnami.com": ["sealedsecrets"],
}
# What those kinds create, read for Argo CD's resource tree, health and logs.
OBSERVED: dict[str, list[str]] = {
    "": ["endpoints", "events", "pods/log"],
    "apps": ["replicasets", "controllerrevisions"],
    "discovery.k8s.io": ["endpointslices"],
}


def manager_rules() -> list[k8s.rbac.v1.PolicyRuleArgs]:
    """The Role argocd-manager holds in every app namespace."""
    return [
        *(
            k8s.rbac.v1.PolicyRuleArgs(api_groups=[group], resources=kinds, verbs=READ + WRITE)
            for group, kinds in MANAGED.items()
        ),
        *(
            k8s.rbac.v1.PolicyRuleArgs(api_groups=[group], resources=kinds, verbs=READ)
            for group, kinds in OBSERVED.items()
        ),
    ]


def grant_namespace(ctx: AddonContext, namespace: Namespace) -> k8s.rbac.v1.RoleBinding:
    """argocd-manager's Role and RoleBinding in one app namespace."""
    role = k8s.rbac.v1.Role(
        ctx.name(SERVICE_ACCOUNT, namespace.name),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=SERVICE_ACCOUNT, namespace=namespace.name),
        rules=manager_rules(),
        opts=ctx.opts(depends_on=namespace.after),
    )
    return k8s.rbac.v1.RoleBinding(
        ctx.name(SERVICE_ACCOUNT, namespace.name, "binding"),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=SERVICE_ACCOUNT, namespace=namespace.name),
        role_ref=k8s.rbac.v1.RoleRefArgs(
            api_group="rbac.authorization.k8s.io", kind="Role", name=SERVICE_ACCOUNT
        ),
        subjects=[
            k8s.rbac.v1.SubjectArgs(
                kind="ServiceAccount", name=SERVICE_ACCOUNT, namespace=NAMESPACE
            )
        ],
        opts=ctx.opts(depends_on=[role]),
    )


def cluster_config(token: str, ca_data: str) -> str:
    """The `config` of an Argo CD cluster Secret: bearer token and CA, nothing else."""
    return json.dumps(
        {"bearerToken": token, "tlsClientConfig": {"insecure": False, "caData": ca_data}}
    )


def _token_and_ca(data: Mapping[str, str] | None) -> tuple[str, str]:
    if not data or "token" not in data or "ca.crt" not in data:
        raise RuntimeError(f"{TOKEN_SECRET} has no token yet: is the token controller running?")
    return base64.b64decode(data["token"]).decode(), data["ca.crt"]


def _after(ready: pulumi.Output[list[str]] | None, value: str) -> pulumi.Input[str]:
    return value if ready is None else ready.apply(lambda _: value)


def register(
    workload: AddonContext,
    *,
    mgmt_provider: k8s.Provider,
    argocd_namespace: pulumi.Input[str],
    server: pulumi.Input[str],
    labels: Mapping[str, str],
    namespaces: Sequence[str],
    depends_on: list[pulumi.Resource],
    granted: pulumi.Output[list[str]] | None = None,
) -> k8s.core.v1.Secret:
    """The cluster's registration; ``granted`` resolves once argocd-manager may read every
    namespace listed, and the `namespaces` value waits for it."""
    account = k8s.core.v1.ServiceAccount(
        workload.name(SERVICE_ACCOUNT),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=SERVICE_ACCOUNT, namespace=NAMESPACE),
        opts=workload.opts(),
    )
    # The provider waits for the token controller to fill `data` before it returns.
    token = k8s.core.v1.Secret(
        workload.name(TOKEN_SECRET),
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=TOKEN_SECRET,
            namespace=NAMESPACE,
            annotations={"kubernetes.io/service-account.name": SERVICE_ACCOUNT},
        ),
        type="kubernetes.io/service-account-token",
        opts=workload.opts(depends_on=[account], additional_secret_outputs=["data"]),
    )
    config = secret(token.data.apply(lambda data: cluster_config(*_token_and_ca(data))))
    string_data: dict[str, Any] = {
        "name": workload.cluster,
        "server": server,
        "config": config,
        # Argo CD lists and watches each namespace on its own and skips cluster-scoped
        # kinds (operator-manual/declarative-setup.md, argo-cd v3.4.4).
        "namespaces": _after(granted, ",".join(sorted(namespaces))),
        "clusterResources": "false",
    }
    return k8s.core.v1.Secret(
        workload.name("argocd-cluster"),
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=f"cluster-{workload.cluster}",
            namespace=argocd_namespace,
            labels={CLUSTER_SECRET_LABEL: "cluster", **labels},
        ),
        type="Opaque",
        string_data=string_data,
        opts=pulumi.ResourceOptions(
            parent=workload.parent,
            provider=mgmt_provider,
            depends_on=depends_on,
            additional_secret_outputs=["data", "stringData"],
        ),
    )
