"""MgmtCluster: the control plane. A cluster on any backend, the baseline add-ons, and
Argo CD at argocd.<domain>."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra.addons.argocd import ArgoCD, ProjectScope
from infra.addons.base import AddonContext
from infra.addons.baseline import BaselineArgs, install_baseline
from infra.clusters import ClusterRequest, create_cluster
from infra.clusters.base import EVERYWHERE, FirewallSource
from infra.config import MgmtClusterSpec, TrafficControllerName
from infra.identity import aws_secret_reader, cloudflare_dns_token


@dataclass(frozen=True)
class MgmtClusterArgs:
    environment: str
    domain: str
    cluster: MgmtClusterSpec
    admin_cidrs: Sequence[str]
    acme_email: str
    aws_region: str
    cloudflare_zone_id: str
    traffic_controller: TrafficControllerName = "envoy-gateway"
    chart_versions: Mapping[str, str] | None = None
    # None mints a zone-scoped DNS token for this cluster; a value is used as given.
    dns_token: pulumi.Input[str] | None = None
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
        handle = create_cluster(
            ClusterRequest(
                name=name,
                spec=args.cluster,
                api_sources=FirewallSource.of(args.admin_cidrs),
                # Argo CD's UI and API are public, behind TLS and its own login.
                web_sources=EVERYWHERE,
                tags=("platform", args.environment, "management"),
                kubeconfig=args.kubeconfig,
            ),
            parent=self,
        )
        ctx = AddonContext(
            cluster=name,
            environment=args.environment,
            domain=args.domain,
            chart_versions=args.chart_versions or {},
            provider=handle.k8s_provider,
            parent=self,
        )
        argocd_host = f"argocd.{args.domain}"
        dns_token = args.dns_token or cloudflare_dns_token(
            name, args.environment, args.cloudflare_zone_id, self
        )
        baseline = install_baseline(
            ctx,
            BaselineArgs(
                traffic_controller=args.traffic_controller,
                dns_token=dns_token,
                acme_email=args.acme_email,
                certificate_names=[argocd_host, f"*.{ctx.cluster_domain}"],
                dns_domain_filters=[argocd_host, ctx.cluster_domain],
                aws_region=args.aws_region,
                aws_key=aws_secret_reader(
                    name, args.environment, args.aws_region, args.key_rotation, self
                ),
            ),
        )
        # Argo CD needs only its namespace and the gateway, so it installs alongside the rest.
        argocd = ArgoCD(ctx, baseline.traffic, argocd_host, depends_on=[], project=args.project)

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
