"""Declarative Argo CD cluster registration with a scoped bearer token.

In the workload cluster: the `argocd-manager` ServiceAccount, a ClusterRole that can
read everything but write only namespaced application kinds (no RBAC, CRDs or
webhooks, so an app cannot escalate), and a long-lived token Secret. In the management
cluster: the `argocd.argoproj.io/secret-type: cluster` Secret with the token and the
cluster CA, never client certificates.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.addons.base import AddonContext
from infra.outputs import secret

SERVICE_ACCOUNT = "argocd-manager"
NAMESPACE = "kube-system"
TOKEN_SECRET = "argocd-manager-token"
CLUSTER_SECRET_LABEL = "argocd.argoproj.io/secret-type"
# API groups whose namespaced kinds applications may write.
APPLICATION_GROUPS = [
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "gateway.networking.k8s.io",
    "external-secrets.io",
    "bitnami.com",
    "cert-manager.io",
]


def manager_rules() -> list[k8s.rbac.v1.PolicyRuleArgs]:
    write = ["create", "update", "patch", "delete"]
    return [
        # Argo CD caches and diffs the whole cluster, so it reads everything.
        k8s.rbac.v1.PolicyRuleArgs(
            api_groups=["*"], resources=["*"], verbs=["get", "list", "watch"]
        ),
        k8s.rbac.v1.PolicyRuleArgs(non_resource_urls=["*"], verbs=["get"]),
        k8s.rbac.v1.PolicyRuleArgs(api_groups=APPLICATION_GROUPS, resources=["*"], verbs=write),
    ]


def cluster_config(token: str, ca_data: str) -> str:
    """The `config` of an Argo CD cluster Secret: bearer token and CA, nothing else."""
    return json.dumps(
        {"bearerToken": token, "tlsClientConfig": {"insecure": False, "caData": ca_data}}
    )


def _token_and_ca(data: Mapping[str, str] | None) -> tuple[str, str]:
    if not data or "token" not in data or "ca.crt" not in data:
        raise RuntimeError(f"{TOKEN_SECRET} has no token yet: is the token controller running?")
    return base64.b64decode(data["token"]).decode(), data["ca.crt"]


def register(
    workload: AddonContext,
    *,
    mgmt_provider: k8s.Provider,
    argocd_namespace: pulumi.Input[str],
    server: pulumi.Input[str],
    labels: Mapping[str, str],
    depends_on: list[pulumi.Resource],
) -> k8s.core.v1.Secret:
    account = k8s.core.v1.ServiceAccount(
        workload.name(SERVICE_ACCOUNT),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=SERVICE_ACCOUNT, namespace=NAMESPACE),
        opts=workload.opts(),
    )
    role = k8s.rbac.v1.ClusterRole(
        workload.name(f"{SERVICE_ACCOUNT}-role"),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{SERVICE_ACCOUNT}-role"),
        rules=manager_rules(),
        opts=workload.opts(),
    )
    k8s.rbac.v1.ClusterRoleBinding(
        workload.name(f"{SERVICE_ACCOUNT}-binding"),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{SERVICE_ACCOUNT}-role-binding"),
        role_ref=k8s.rbac.v1.RoleRefArgs(
            api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role.metadata.name
        ),
        subjects=[
            k8s.rbac.v1.SubjectArgs(
                kind="ServiceAccount", name=SERVICE_ACCOUNT, namespace=NAMESPACE
            )
        ],
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
    string_data: dict[str, Any] = {"name": workload.cluster, "server": server, "config": config}
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
