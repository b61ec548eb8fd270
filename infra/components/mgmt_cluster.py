"""MgmtCluster: the control plane. A cluster on any backend, the baseline add-ons, and
Argo CD at argocd.<domain>."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra.addons.argocd import ArgoCD, ProjectScope
from infra.addons.baseline import ClusterSettings, provision
from infra.clusters import ClusterRequest
from infra.clusters.base import EVERYWHERE, FirewallSource
from infra.config import MgmtClusterSpec


@dataclass(frozen=True)
class MgmtClusterArgs:
    settings: ClusterSettings
    cluster: MgmtClusterSpec
    admin_cidrs: Sequence[str]
    key_rotation: str = "1"
    # Only for an `existing` cluster.
    kubeconfig: pulumi.Input[str] | None = None
    # The environment's AppProject; None while the stack has no apps.
    project: ProjectScope | None = None


class MgmtCluster(pulumi.ComponentResource):
    kubeconfig: pulumi.Output[str]
    k8s_provider: k8s.Provider
    argocd_url: pulumi.Output[str]
    argocd_namespace: pulumi.Output[str]
    admin_password: pulumi.Output[str]
    egress_cidrs: Sequence[pulumi.Output[str]]
    # What ApplicationSets wait for: Argo CD's CRDs exist once its release is installed.
    argocd_release: pulumi.Resource
    # What cluster registrations wait for: only the namespace their Secrets live in.
    argocd_namespace_ready: pulumi.Resource

    def __init__(
        self, name: str, args: MgmtClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:index:MgmtCluster", name, None, opts)
        argocd_host = f"argocd.{args.settings.domain}"
        cluster = provision(
            ClusterRequest(
                name=name,
                spec=args.cluster,
                api_sources=FirewallSource.of(args.admin_cidrs),
                # Argo CD's UI and API are public, behind TLS and its own login.
                web_sources=EVERYWHERE,
                tags=("platform", args.settings.environment, "management"),
                kubeconfig=args.kubeconfig,
            ),
            args.settings,
            certificate_names=[argocd_host, f"*.{name}.{args.settings.domain}"],
            dns_domain_filters=[argocd_host, f"{name}.{args.settings.domain}"],
            key_rotation=args.key_rotation,
            parent=self,
        )
        handle, ctx, baseline = cluster.handle, cluster.context, cluster.baseline
        # Argo CD needs only its namespace and the gateway, so it installs alongside the rest.
        argocd = ArgoCD(ctx, baseline.traffic, argocd_host, project=args.project)

        self.kubeconfig = handle.kubeconfig
        self.k8s_provider = handle.k8s_provider
        self.egress_cidrs = handle.egress_cidrs
        self.argocd_release = argocd.release
        self.argocd_namespace_ready = argocd.namespace_resource or argocd.release
        self.argocd_url = pulumi.Output.from_input(argocd.url)
        self.argocd_namespace = pulumi.Output.from_input(argocd.namespace)
        self.admin_password = argocd.password.result
        self.register_outputs(
            {
                "kubeconfig": self.kubeconfig,
                "argocdUrl": self.argocd_url,
                "argocdNamespace": self.argocd_namespace,
                "adminPassword": self.admin_password,
            }
        )
