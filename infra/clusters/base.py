"""The uniform cluster request and handle that every cloud backend speaks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from infra.config import (
    CivoClusterSpec,
    ExistingClusterSpec,
    VultrClusterSpec,
)
from infra.edge import EXPOSURE, INTERNET, Exposure

API_PORT = 6443


@dataclass(frozen=True)
class FirewallSource:
    """One CIDR a firewall admits. ``key`` names the rule, so rules keep their identity
    when the list around them changes."""

    key: str
    cidr: pulumi.Input[str]

    @staticmethod
    def of(cidrs: Sequence[str]) -> list[FirewallSource]:
        unique = dict.fromkeys(cidrs)
        return [FirewallSource(cidr.replace("/", "-").replace(":", "-"), cidr) for cidr in unique]


EVERYWHERE = [FirewallSource("anywhere", "0.0.0.0/0")]


@dataclass(frozen=True)
class ClusterRequest:
    """What a component needs from a backend, cloud-neutral."""

    name: str
    # Part of every name the cluster takes in the cloud account (see infra.naming).
    environment: str
    spec: CivoClusterSpec | VultrClusterSpec | ExistingClusterSpec
    # Sources allowed to reach the Kubernetes API (admin CIDRs, the management cluster).
    api_sources: Sequence[FirewallSource]
    # Sources allowed on 80/443: the whole internet, or (origin lockdown) the admin CIDRs
    # plus Cloudflare's published ranges, given here as `cloudflare_ranges`.
    web_sources: Sequence[FirewallSource]
    cloudflare_ranges: pulumi.Output[list[str]] | None = None
    # Load balancers of their own (name -> CIDRs admitted on 443 only), for a gateway that
    # serves only them; the node firewall never admits these: a cluster waits for its node
    # firewall, so they may come from clusters created after it (the workload clusters'
    # Prometheus agents writing to the management cluster).
    dedicated_load_balancers: Mapping[str, pulumi.Output[list[str]]] = field(default_factory=dict)
    tags: Sequence[str] = ()
    # For `existing` clusters only: the kubeconfig Pulumi is handed.
    kubeconfig: pulumi.Input[str] | None = None

    @property
    def exposure(self) -> Exposure:
        """Who the cluster's load balancer admits, the same sources as its 80/443."""
        if self.cloudflare_ranges is not None:
            return "cloudflare"
        if any(s.cidr in INTERNET for s in self.web_sources):
            return "public"
        return "admin"

    def web_cidrs(self) -> pulumi.Output[list[str]]:
        """Every source admitted on 80/443 as a CIDR, Cloudflare's ranges included."""
        static = pulumi.Output.all(*(s.cidr for s in self.web_sources))
        if self.cloudflare_ranges is None:
            return static.apply(list)
        return pulumi.Output.all(static, self.cloudflare_ranges).apply(
            lambda parts: [*parts[0], *parts[1]]
        )


def sorted_cidrs(cidrs: pulumi.Output[list[str]]) -> pulumi.Output[list[str]]:
    """Unique and sorted, so the order clusters are listed in changes no rule."""
    return cidrs.apply(lambda found: sorted(set(found)))


@dataclass(frozen=True)
class ClusterHandle:
    name: str
    provider_name: str
    region: str
    kubeconfig: pulumi.Output[str]
    api_endpoint: pulumi.Output[str]
    # Addresses the cluster's own traffic leaves from, as /32 CIDRs: what another
    # cluster's firewall must admit for Argo CD to reach it.
    egress_cidrs: Sequence[pulumi.Output[str]]
    k8s_provider: k8s.Provider
    # What the traffic controller's LoadBalancer Service carries so the cloud's load
    # balancer admits the same sources as the nodes' 80/443 (see infra.edge).
    load_balancer_annotations: pulumi.Output[dict[str, str]]
    # The same for each of ClusterRequest.dedicated_load_balancers, by name.
    dedicated_annotations: Mapping[str, pulumi.Output[dict[str, str]]] = field(default_factory=dict)
    # Those load balancers prepend the proxy protocol (the backend puts its cloud's
    # annotation on them), so the proxy behind must expect it; False where the platform
    # does not own the load balancer and cannot know (an `existing` cluster).
    sends_proxy_protocol: bool = False


def exposure_annotation(request: ClusterRequest) -> dict[str, str]:
    return {EXPOSURE: request.exposure}


DEDICATED_EXPOSURE = {EXPOSURE: "clusters"}


def kubernetes_provider(
    name: str, kubeconfig: pulumi.Input[str], parent: pulumi.Resource
) -> k8s.Provider:
    return k8s.Provider(
        f"{name}-k8s",
        kubeconfig=kubeconfig,
        # Server-side apply lets Helm-owned and Pulumi-owned fields coexist.
        enable_server_side_apply=True,
        # Update Secrets in place (a rotated token) instead of deleting and recreating them.
        enable_secret_mutable=True,
        # No delete_unreachable: one failed discovery during a refresh would drop every
        # object of this cluster from state, and the next `up` would fail on AlreadyExists
        # (pulumi-kubernetes provider/pkg/provider/provider.go, Read with
        # clusterUnreachable). For tearing down a cluster that is already gone, set
        # PULUMI_K8S_DELETE_UNREACHABLE=true for that one run (see the README).
        opts=pulumi.ResourceOptions(parent=parent),
    )
