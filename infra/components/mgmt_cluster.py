"""MgmtCluster: the control plane. A cluster on any backend, the baseline add-ons, and
Argo CD at argocd.<domain>."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from infra import naming
from infra.addons.argocd import ArgoCD, ProjectScope
from infra.addons.observability import (
    NAMESPACE as MONITORING,
)
from infra.addons.observability import (
    PROMETHEUS_PORT,
    PROMETHEUS_SERVICE,
    HubSettings,
    MetricsHub,
    MetricsTarget,
)
from infra.addons.opencost import OpenCost, PrometheusSource
from infra.clusters import ClusterRequest
from infra.clusters.base import FirewallSource
from infra.components.cluster_assembly import assemble_cluster
from infra.components.contracts import ArgoCDTarget, ClusterSettings
from infra.config import MgmtClusterSpec
from infra.prices import opencost_cost_model


@dataclass(frozen=True)
class MgmtClusterArgs:
    settings: ClusterSettings
    cluster: MgmtClusterSpec
    admin_cidrs: Sequence[str]
    # Who reaches Argo CD on 80/443: nodes and load balancer alike.
    web_sources: Sequence[FirewallSource]
    key_rotation: str = "1"
    # Only for an `existing` cluster.
    kubeconfig: pulumi.Input[str] | None = None
    # The environment's AppProject; None while the stack has no apps.
    project: ProjectScope | None = None
    # Prometheus, Alertmanager and Grafana (grafana.<domain>) for every cluster; None: off.
    observability: HubSettings | None = None
    # The workload clusters' egress, whose Prometheus agents write to the hub: admitted on
    # 443 by the load balancer only, so it may be known only after those clusters exist.
    metrics_writer_cidrs: pulumi.Output[list[str]] | None = None
    # OpenCost, reading the hub's Prometheus; needs observability.
    cost: bool = False


class MgmtCluster(pulumi.ComponentResource):
    # Where workload clusters register and ApplicationSets go.
    argocd_target: ArgoCDTarget
    argocd_url: pulumi.Output[str]
    admin_password: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    # Where workload clusters write metrics; None without observability.
    metrics_target: MetricsTarget | None = None
    grafana_url: str | None = None
    grafana_admin_password: pulumi.Output[str] | None = None

    def __init__(
        self, name: str, args: MgmtClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:index:MgmtCluster", name, None, opts)
        domain = args.settings.domain
        argocd_host = naming.argocd_host(domain)
        extra_hosts = (
            [naming.grafana_host(domain), naming.metrics_write_host(name, domain)]
            if args.observability is not None
            else []
        )
        cluster = assemble_cluster(
            ClusterRequest(
                name=name,
                environment=args.settings.environment,
                spec=args.cluster,
                api_sources=FirewallSource.of(args.admin_cidrs),
                web_sources=args.web_sources,
                https_only_cidrs=(
                    args.metrics_writer_cidrs if args.observability is not None else None
                ),
                tags=("platform", args.settings.environment, "management"),
                kubeconfig=args.kubeconfig,
            ),
            args.settings,
            certificate_names=[argocd_host, *extra_hosts],
            dns_domain_filters=[argocd_host, *extra_hosts],
            key_rotation=args.key_rotation,
            parent=self,
        )
        handle, ctx, baseline = cluster.handle, cluster.context, cluster.baseline
        # Argo CD needs only its namespace and the gateway, so it installs alongside the rest.
        argocd = ArgoCD(ctx, baseline.traffic, argocd_host, project=args.project)

        self.argocd_target = ArgoCDTarget(
            provider=handle.k8s_provider,
            namespace=argocd.namespace,
            ready=argocd.release,
            namespace_ready=argocd.namespace_resource or argocd.release,
            egress_cidrs=handle.egress_cidrs,
        )
        if args.observability is not None:
            hub = MetricsHub(
                ctx, baseline.traffic, args.observability, baseline.cert_manager.release
            )
            self.metrics_target = hub.target
            self.grafana_url = hub.grafana_url
            self.grafana_admin_password = hub.admin_password.result
            if args.cost:
                spec = args.cluster
                OpenCost(
                    ctx,
                    PrometheusSource(PROMETHEUS_SERVICE, MONITORING, PROMETHEUS_PORT),
                    None
                    if spec.provider == "existing"
                    else opencost_cost_model(spec.provider, spec.node_size),
                    depends_on=[hub.release],
                )
        self.kubeconfig = handle.kubeconfig
        self.argocd_url = pulumi.Output.from_input(argocd.url)
        self.admin_password = argocd.password.result
        self.register_outputs(
            {
                "kubeconfig": self.kubeconfig,
                "argocdUrl": self.argocd_url,
                "argocdNamespace": argocd.namespace,
                "adminPassword": self.admin_password,
                "grafanaUrl": self.grafana_url,
                "grafanaAdminPassword": self.grafana_admin_password,
            }
        )
