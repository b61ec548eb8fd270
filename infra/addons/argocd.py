"""Argo CD on the management cluster: served at argocd.<domain> over HTTPS only, with an
admin password Pulumi generates (the chart gets the bcrypt hash; nobody reads an
initial-admin secret), and the wide-open `default` project closed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_random as random

from infra import naming
from infra.addons.base import AddonContext
from infra.addons.traffic import Route, TrafficController

NAMESPACE = "argocd"
RELEASE = "argocd"
SERVER_SERVICE = f"{RELEASE}-server"
SERVER_HTTP_PORT = 80
API_VERSION = "argoproj.io/v1alpha1"
# Argo CD invalidates sessions issued before this time. It is fixed, not "now", so the
# rendered chart does not change on every run; the password's own rotation replaces it.
PASSWORD_MTIME = "2026-01-01T00:00:00Z"


def values(hostname: str, bcrypt_hash: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "global": {"domain": hostname},
        "configs": {
            # TLS ends at the traffic controller; argocd-server speaks HTTP behind it.
            "params": {"server.insecure": True},
            "cm": {
                "admin.enabled": True,
                "exec.enabled": False,
                # argocd-manager may not list every kind in every namespace; without this
                # one 403 fails the whole cluster's cache (gitops-engine pkg/cache/cluster.go,
                # argo-cd v3.4.4), with it the forbidden kinds are left out.
                "resource.respectRBAC": "normal",
            },
            "secret": {
                "argocdServerAdminPassword": bcrypt_hash,
                "argocdServerAdminPasswordMtime": PASSWORD_MTIME,
            },
        },
        "dex": {"enabled": False},
    }


# Namespaced kinds apps may not create, each a way around a platform control. Argo CD
# matches group and kind as shell patterns (argoproj/argo-cd
# pkg/apis/application/v1alpha1/types.go `isResourceInList`, filepath.Match).
APP_FORBIDDEN_KINDS = [
    # Quotas and limits belong to the platform, not to the apps they constrain.
    {"group": "", "kind": "ResourceQuota"},
    {"group": "", "kind": "LimitRange"},
    # An ExternalSecret or SecretStore would read AWS with the cluster's key.
    {"group": "external-secrets.io", "kind": "*"},
    {"group": "generators.external-secrets.io", "kind": "*"},
    # A Certificate or Issuer would use the cluster's DNS token for any name in the zone.
    {"group": "cert-manager.io", "kind": "*"},
    {"group": "acme.cert-manager.io", "kind": "*"},
    # Policies only add allowances: an app's own would undo its namespace's default deny.
    {"group": "networking.k8s.io", "kind": "NetworkPolicy"},
    # Routes and grants on the shared front door could claim another app's host.
    {"group": "networking.k8s.io", "kind": "Ingress"},
    {"group": "gateway.networking.k8s.io", "kind": "*"},
    {"group": "gateway.envoyproxy.io", "kind": "*"},
]


@dataclass(frozen=True)
class ProjectScope:
    """What an environment's apps may use: these repos, these clusters and namespaces."""

    name: str
    source_repos: Sequence[str]
    # (registered cluster name, namespace) pairs.
    destinations: Sequence[tuple[str, str]]


def project_spec(scope: ProjectScope) -> dict[str, Any]:
    return {
        "description": f"Apps of the {scope.name} environment, placed by the platform",
        "sourceRepos": sorted(set(scope.source_repos)),
        "destinations": [
            {"name": cluster, "namespace": namespace}
            for cluster, namespace in sorted(set(scope.destinations))
        ],
        # Apps get no cluster-scoped resources at all (namespaces come from the platform).
        "clusterResourceWhitelist": [],
        "namespaceResourceBlacklist": APP_FORBIDDEN_KINDS,
    }


class ArgoCD:
    def __init__(
        self,
        ctx: AddonContext,
        traffic: TrafficController,
        hostname: str,
        project: ProjectScope | None = None,
    ) -> None:
        namespace = ctx.namespace(NAMESPACE)
        self.namespace_resource = namespace.resource
        self.password = random.RandomPassword(
            ctx.name("argocd-admin-password"),
            length=32,
            special=True,
            override_special="-_.~",
            opts=pulumi.ResourceOptions(parent=ctx.parent),
        )
        self.release = ctx.release(
            "argo-cd",
            namespace,
            values(hostname, self.password.bcrypt_hash),
            release_name=RELEASE,
        )
        self.route = traffic.route(
            ctx,
            Route("argocd", NAMESPACE, hostname, SERVER_SERVICE, SERVER_HTTP_PORT),
            [self.release],
        )
        # argocd-server creates an open `default` project at start when there is none
        # (argo-cd v3.4.4 server/server.go `initializeDefaultProject`), and the atomic
        # release waits for the server, so it exists before Pulumi gets here: a create
        # would fail on AlreadyExists. Pulumi patches it closed instead.
        ctx.custom_resource_patch(
            "appproject-default",
            API_VERSION,
            "AppProject",
            "default",
            namespace=NAMESPACE,
            spec={
                "description": "Closed by the platform; apps use their environment's project",
                "sourceRepos": [],
                "destinations": [],
                "clusterResourceWhitelist": [],
                "namespaceResourceWhitelist": [],
            },
            depends_on=[self.release],
        )
        self.url = naming.https_url(hostname)
        self.project: pulumi.Resource | None = None
        if project is not None:
            self.project = ctx.custom_resource(
                f"appproject-{project.name}",
                API_VERSION,
                "AppProject",
                project.name,
                namespace=NAMESPACE,
                spec=project_spec(project),
                depends_on=[self.release],
            )
        self.namespace = NAMESPACE
