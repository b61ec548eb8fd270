"""MgmtCluster: the control plane. A cluster on any backend, the baseline add-ons, and
Argo CD at argocd.<domain>."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from infra import naming
from infra.addons.argocd import ArgoCD, ProjectScope
from infra.addons.envoy_gateway import EnvoyGateway
from infra.addons.observability import (
    METRICS_GATEWAY,
    PROMETHEUS_PORT,
    PROMETHEUS_SERVICE,
    HubSettings,
    MetricsHub,
    MetricsTarget,
)
from infra.addons.observability import (
    NAMESPACE as MONITORING,
)
from infra.addons.opencost import OpenCost, PrometheusSource
from infra.clusters import ClusterRequest
from infra.clusters.base import FirewallSource
from infra.components.cluster_assembly import assemble_cluster
from infra.components.contracts import ArgoCDTarget, ClusterSettings, OperationsTarget
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
    # The workload clusters whose Prometheus agents write to the hub, and their egress:
    # admitted on 443 by the hub's own load balancer only (never Argo CD's), so it may be
    # known only after those clusters exist.
    metrics_writers: Sequence[str] = ()
    metrics_writer_cidrs: pulumi.Output[list[str]] | None = None
    # OpenCost, reading the hub's Prometheus; needs observability.
    cost: bool = False


class MgmtCluster(pulumi.ComponentResource):
    # Where workload clusters register and ApplicationSets go.
    argocd_target: ArgoCDTarget
    # Where the platform's own jobs run (database backups).
    operations_target: OperationsTarget
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
        # The hub's own door and load balancer, only while a workload cluster writes to
        # it: a load balancer admitting no source is open to everyone on Vultr (an empty
        # firewall-rules annotation is no firewall) and on Civo (a rule without CIDRs is
        # 0.0.0.0/0), so none is ever built for an empty list.
        writers = args.metrics_writers if args.observability is not None else ()
        if writers and args.metrics_writer_cidrs is None:
            raise ValueError("metrics_writers need metrics_writer_cidrs, the egress to admit")
        extra_hosts = [
            *([naming.grafana_host(domain)] if args.observability is not None else []),
            *([naming.metrics_write_host(name, domain)] if writers else []),
        ]
        cluster = assemble_cluster(
            ClusterRequest(
                name=name,
                environment=args.settings.environment,
                spec=args.cluster,
                api_sources=FirewallSource.of(args.admin_cidrs),
                web_sources=args.web_sources,
                dedicated_load_balancers=(
                    {METRICS_GATEWAY: args.metrics_writer_cidrs}
                    if writers and args.metrics_writer_cidrs is not None
                    else {}
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
            # Stated addresses stay plain strings, so firewalls can tell them apart.
            egress_cidrs=list(getattr(args.cluster, "egress_cidrs", None) or [])
            or handle.egress_cidrs,
            project=argocd.project,
        )
        hub = None
        if args.observability is not None:
            if METRICS_GATEWAY in handle.dedicated_annotations:
                if not isinstance(baseline.traffic, EnvoyGateway):
                    raise ValueError("observability needs trafficController: envoy-gateway")
                baseline.traffic.dedicated_gateway(
                    ctx, METRICS_GATEWAY, handle.dedicated_annotations[METRICS_GATEWAY]
                )
            hub = MetricsHub(
                ctx,
                baseline.traffic,
                args.observability,
                writers,
                baseline.cert_manager.release,
            )
        self.operations_target = OperationsTarget(
            cluster=name,
            environment=args.settings.environment,
            domain=domain,
            provider=handle.k8s_provider,
            egress_cidrs=handle.egress_cidrs,
            alerts_ready=hub.release if hub else None,
        )
        if hub is not None:
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
