"""WorkloadCluster: one regional cluster on Civo or Vultr, with the baseline add-ons, its
own AWS identity and DNS token, registered in Argo CD on the management cluster."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra.addons import argocd_registration
from infra.addons.base import AddonContext
from infra.addons.baseline import ClusterSettings, provision
from infra.addons.traffic import TrafficController
from infra.clusters import ClusterRequest
from infra.clusters.base import FirewallSource
from infra.config import ClusterConfig


@dataclass(frozen=True)
class ArgoCDTarget:
    """Where a workload cluster registers itself."""

    provider: k8s.Provider
    namespace: pulumi.Input[str]
    # ApplicationSets wait for Argo CD's CRDs; cluster Secrets only for its namespace, so
    # registering a cluster does not wait for Argo CD to finish installing.
    ready: pulumi.Resource
    namespace_ready: pulumi.Resource
    egress_cidrs: Sequence[pulumi.Input[str]]


@dataclass(frozen=True)
class WorkloadClusterArgs:
    settings: ClusterSettings
    cluster: ClusterConfig
    # Labels on the Argo CD registration: the platform's and the cluster's own.
    labels: Mapping[str, str]
    admin_cidrs: Sequence[str]
    web_sources: Sequence[FirewallSource]
    argocd: ArgoCDTarget
    # Set when a proxied load balancer fronts the cluster: 80/443 then admit these too.
    cloudflare_ranges: pulumi.Output[list[str]] | None = None


class WorkloadCluster(pulumi.ComponentResource):
    kubeconfig: pulumi.Output[str]
    k8s_provider: k8s.Provider
    api_endpoint: pulumi.Output[str]
    egress_cidrs: Sequence[pulumi.Output[str]]
    cluster_domain: str
    # What AppDeployment builds on, on this cluster.
    addon_context: AddonContext
    traffic: TrafficController
    secret_store: pulumi.Resource

    def __init__(
        self, name: str, args: WorkloadClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:index:WorkloadCluster", name, None, opts)
        mgmt_sources = [
            FirewallSource(f"mgmt-egress-{i}", cidr)
            for i, cidr in enumerate(args.argocd.egress_cidrs)
        ]
        domain = f"{name}.{args.settings.domain}"
        cluster = provision(
            ClusterRequest(
                name=name,
                spec=args.cluster,
                api_sources=[*FirewallSource.of(args.admin_cidrs), *mgmt_sources],
                web_sources=args.web_sources,
                cloudflare_ranges=args.cloudflare_ranges,
                tags=("platform", args.settings.environment, "workload"),
            ),
            args.settings,
            certificate_names=[f"*.{domain}"],
            dns_domain_filters=[domain],
            key_rotation=args.cluster.key_rotation,
            parent=self,
        )
        handle, ctx, baseline = cluster.handle, cluster.context, cluster.baseline
        self.registration = argocd_registration.register(
            ctx,
            mgmt_provider=args.argocd.provider,
            argocd_namespace=args.argocd.namespace,
            server=handle.api_endpoint,
            labels=args.labels,
            depends_on=[args.argocd.namespace_ready],
        )
        self.traffic = baseline.traffic
        self.secret_store = baseline.secrets.store
        self.addon_context = ctx
        self.kubeconfig = handle.kubeconfig
        self.k8s_provider = handle.k8s_provider
        self.api_endpoint = handle.api_endpoint
        self.egress_cidrs = handle.egress_cidrs
        self.cluster_domain = ctx.cluster_domain
        self.register_outputs(
            {
                "kubeconfig": self.kubeconfig,
                "apiEndpoint": self.api_endpoint,
                "clusterDomain": self.cluster_domain,
            }
        )
