"""WorkloadCluster: one regional cluster on Civo or Vultr, with the baseline add-ons, its
own AWS identity and DNS token, registered in Argo CD on the management cluster."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from infra import naming
from infra.access import ClusterAccess
from infra.addons.admission import ServiceTypePolicy
from infra.addons.observability import MetricsAgent, MetricsTarget
from infra.addons.opencost import OpenCost, PrometheusSource
from infra.addons.traffic import ClientPolicy
from infra.clusters import ClusterRequest
from infra.clusters.base import FirewallSource
from infra.components import argocd_registration
from infra.components.cluster_assembly import assemble_cluster
from infra.components.contracts import AppTarget, ArgoCDTarget, ClusterSettings
from infra.config import ClusterConfig
from infra.prices import opencost_cost_model


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
    # What the apps placed here need: namespaces Argo CD manages, secrets the store reads.
    access: ClusterAccess = field(default_factory=ClusterAccess)
    # Set with observability: a Prometheus agent writes this cluster's metrics there.
    metrics: MetricsTarget | None = None
    # OpenCost, reading this cluster's series from the hub; needs ``metrics``.
    cost: bool = False
    # Known once argocd-manager's Roles and RoleBindings exist in the app namespaces: the
    # registration's `namespaces` waits for it.
    namespaces_granted: pulumi.Output[list[str]] | None = None
    # Only this zone's Cloudflare may connect to the traffic controller's TLS listener.
    client_policy: ClientPolicy | None = None


class WorkloadCluster(pulumi.ComponentResource):
    # What an app placed on this cluster builds on.
    app_target: AppTarget
    api_endpoint: pulumi.Output[str]
    # Where this cluster's traffic leaves from: what the database firewall admits.
    egress_cidrs: Sequence[pulumi.Output[str]]

    def __init__(
        self, name: str, args: WorkloadClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:index:WorkloadCluster", name, None, opts)
        # One rule per source: Vultr refuses a rule that already exists (a management
        # egress stated as one of the admin CIDRs would be a second 6443 rule for it).
        mgmt_sources = [
            FirewallSource(f"mgmt-egress-{i}", cidr)
            for i, cidr in enumerate(args.argocd.egress_cidrs)
            if cidr not in args.admin_cidrs
        ]
        cluster = assemble_cluster(
            ClusterRequest(
                name=name,
                environment=args.settings.environment,
                spec=args.cluster,
                api_sources=[*FirewallSource.of(args.admin_cidrs), *mgmt_sources],
                web_sources=args.web_sources,
                cloudflare_ranges=args.cloudflare_ranges,
                tags=("platform", args.settings.environment, "workload"),
            ),
            args.settings,
            certificate_names=naming.cluster_certificate_names(name, args.settings.domain),
            # Ownership (the TXT owner id) keeps clusters off each other's records.
            dns_domain_filters=[args.settings.domain],
            key_rotation=args.cluster.key_rotation,
            parent=self,
            access=args.access,
            client_policy=args.client_policy,
        )
        handle, ctx, baseline = cluster.handle, cluster.context, cluster.baseline
        argocd_registration.register(
            ctx,
            mgmt_provider=args.argocd.provider,
            argocd_namespace=args.argocd.namespace,
            server=handle.api_endpoint,
            labels=args.labels,
            namespaces=args.access.app_namespaces,
            granted=args.namespaces_granted,
            depends_on=[args.argocd.namespace_ready],
        )
        admission = ServiceTypePolicy(ctx)
        if args.metrics is not None:
            agent = MetricsAgent(ctx, args.metrics, baseline.cert_manager.release)
            if args.cost:
                OpenCost(
                    ctx,
                    PrometheusSource(
                        url=args.metrics.query_url,
                        username=args.metrics.reader,
                        password=args.metrics.reader_password,
                    ),
                    opencost_cost_model(args.cluster.provider, args.cluster.node_size),
                    # Its ServiceMonitor needs the agent's CRDs; its queries, the hub.
                    depends_on=[agent.release, *args.metrics.reachable],
                )
        self.app_target = AppTarget(
            cluster=name,
            environment=args.settings.environment,
            domain=args.settings.domain,
            provider=handle.k8s_provider,
            traffic=baseline.traffic,
            secret_store=baseline.secrets.store,
            admission=admission.ready,
        )
        self.api_endpoint = handle.api_endpoint
        self.egress_cidrs = handle.egress_cidrs
        self.register_outputs(
            {
                "kubeconfig": handle.kubeconfig,
                "apiEndpoint": self.api_endpoint,
            }
        )
