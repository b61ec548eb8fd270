"""Vultr: a VKE cluster with its managed firewall group, and one rule per source."""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Callable

import ediri_vultr as vultr
import pulumi

from infra import naming
from infra.clusters.base import (
    API_PORT,
    DEDICATED_EXPOSURE,
    ClusterHandle,
    ClusterRequest,
    FirewallSource,
    exposure_annotation,
    kubernetes_provider,
    sorted_cidrs,
)
from infra.config import VultrClusterSpec
from infra.edge import (
    VULTR_FIREWALL_RULES,
    VULTR_VPC,
    proxy_protocol,
    proxy_protocol_enabled,
    vultr_firewall_rules,
)
from infra.outputs import secret
from infra.runbooks import RESIZE_NODE_POOL

# On every load balancer in front of a traffic controller here (see infra.edge).
PROXY_PROTOCOL = proxy_protocol("vultr")


def _ip_type(cidr: pulumi.Input[str]) -> str:
    # Sources that are still Outputs are node addresses, which are IPv4 on VKE.
    if isinstance(cidr, str):
        return "v6" if ipaddress.ip_network(cidr).version == 6 else "v4"
    return "v4"


def _rule(
    cluster: str,
    group_id: pulumi.Input[str],
    port: int,
    source: FirewallSource,
    parent: pulumi.Resource,
) -> vultr.FirewallRule:
    cidr = pulumi.Output.from_input(source.cidr)
    return vultr.FirewallRule(
        f"{cluster}-fw-{port}-{source.key}",
        firewall_group_id=group_id,
        protocol="tcp",
        ip_type=_ip_type(source.cidr),
        subnet=cidr.apply(lambda c: str(ipaddress.ip_network(c).network_address)),
        subnet_size=cidr.apply(lambda c: ipaddress.ip_network(c).prefixlen),
        port=str(port),
        notes=f"{source.key} to {port}",
        opts=pulumi.ResourceOptions(parent=parent),
    )


def create(
    request: ClusterRequest, spec: VultrClusterSpec, parent: pulumi.Resource
) -> ClusterHandle:
    name = request.name
    scaling = spec.autoscaling
    cluster = vultr.Kubernetes(
        name,
        label=naming.cluster_cloud_name(request.environment, name),
        region=spec.region,
        version=spec.kubernetes_version,
        # VKE creates and owns the firewall group; the rules below are ours.
        enable_firewall=True,
        ha_controlplanes=True,
        node_pools=vultr.KubernetesNodePoolsArgs(
            label=f"{name}-pool",
            plan=spec.node_size,
            node_quantity=spec.node_count,
            auto_scaler=scaling is not None,
            min_nodes=scaling.min_nodes if scaling else None,
            max_nodes=scaling.max_nodes if scaling else None,
        ),
        # With the autoscaler on, the pool's size is the autoscaler's: a refresh reads its
        # count, and an `up` would send the configured one back (node_quantity has no diff
        # suppression: vultr/terraform-provider-vultr#472; the fix #711 was reverted).
        opts=pulumi.ResourceOptions(
            parent=parent, ignore_changes=["nodePools.nodeQuantity"] if scaling else None
        ),
    )
    for port, sources in (
        (API_PORT, request.api_sources),
        (80, request.web_sources),
        (443, request.web_sources),
    ):
        for source in sources:
            _rule(name, cluster.firewall_group_id, port, source, parent)
    if request.cloudflare_ranges is not None:
        for port in (80, 443):
            for ip_type, anywhere in (("v4", "0.0.0.0"), ("v6", "::")):
                # Vultr keeps Cloudflare's ranges itself: with source "cloudflare" it fills
                # the rule with them and ignores the subnet, which its API still requires.
                vultr.FirewallRule(
                    f"{name}-fw-{port}-cloudflare-{ip_type}",
                    firewall_group_id=cluster.firewall_group_id,
                    protocol="tcp",
                    ip_type=ip_type,
                    subnet=anywhere,
                    subnet_size=0,
                    source="cloudflare",
                    port=str(port),
                    notes=f"cloudflare to {port}",
                    opts=pulumi.ResourceOptions(parent=parent),
                )

    egress = [pulumi.Output.from_input(c) for c in spec.egress_cidrs]
    if not egress and scaling is None:
        egress = _node_addresses(name, spec, cluster, parent)
    # An autoscaled pool's addresses change as nodes come and go, so a lookup of a fixed
    # count would miss some: validation requires `egressCidrs` where its egress is used.
    # Waiting on the pool check keeps everything on the cluster from using a pool that
    # did not get the plan the config asks for.
    checked = pulumi.Output.all(
        cluster.kube_config, cluster.node_pools.apply(plan_applied(name, spec.node_size))
    )
    kubeconfig = secret(checked.apply(lambda parts: base64.b64decode(parts[0]).decode()))
    return ClusterHandle(
        name=name,
        provider_name="vultr",
        region=spec.region,
        kubeconfig=kubeconfig,
        api_endpoint=cluster.endpoint.apply(lambda host: naming.https_url(host, API_PORT)),
        egress_cidrs=egress,
        k8s_provider=kubernetes_provider(name, kubeconfig, parent),
        load_balancer_annotations=_load_balancer_annotations(request),
        dedicated_annotations={
            lb: sorted_cidrs(cidrs).apply(
                lambda found: {
                    **DEDICATED_EXPOSURE,
                    **PROXY_PROTOCOL,
                    VULTR_FIREWALL_RULES: vultr_firewall_rules([], False, found),
                    VULTR_VPC: "true",
                }
            )
            for lb, cidrs in request.dedicated_load_balancers.items()
        },
        sends_proxy_protocol=proxy_protocol_enabled(PROXY_PROTOCOL),
    )


def _load_balancer_annotations(request: ClusterRequest) -> pulumi.Output[dict[str, str]]:
    """The same sources as the node rules above; `cloudflare` stands for Cloudflare's
    ranges, which Vultr keeps itself."""
    cloudflare = request.cloudflare_ranges is not None
    static = pulumi.Output.all(*(s.cidr for s in request.web_sources))
    return static.apply(
        lambda cidrs: {
            **exposure_annotation(request),
            **PROXY_PROTOCOL,
            VULTR_FIREWALL_RULES: vultr_firewall_rules(cidrs, cloudflare),
            VULTR_VPC: "true",
        }
    )


def plan_applied(
    cluster: str, wanted: str
) -> Callable[[vultr.outputs.KubernetesNodePools | None], str]:
    """Fails the run when Vultr reports another node plan than config asks for.

    terraform-provider-vultr v2.27.1 updates a node pool without its plan
    (resource_vultr_kubernetes.go L288-297) and then reads the real plan back, so after an
    `up` that "changed" it the output still holds the old one.
    """

    def check(pool: vultr.outputs.KubernetesNodePools | None) -> str:
        actual = pool.plan if pool else wanted
        if actual != wanted:
            raise RuntimeError(
                f"cluster {cluster}: nodeSize {wanted} is not applied; Vultr still runs its "
                f"node pool as {actual} and cannot change a pool's plan in place; see "
                f"{RESIZE_NODE_POOL}"
            )
        return actual

    return check


def _node_addresses(
    name: str, spec: VultrClusterSpec, cluster: vultr.Kubernetes, parent: pulumi.Resource
) -> list[pulumi.Output[str]]:
    """VKE nodes are instances with public addresses and no NAT in front; the node pool
    reports their instance ids, and the instance lookup their main IPs.

    Nodes are ordinary instances: Vultr's controller resolves each Node with
    `GET /v2/instances/{id}` and makes `main_ip` its ExternalIP
    (vultr-cloud-controller-manager v0.18.0, vultr/instancesv2.go, nodeInstanceAddresses),
    and the pool's node ids are those instance ids (kubernetes/autoscaler
    cluster-autoscaler/cloudprovider/vultr/vultr_node_group.go, Nodes). The
    `vultr_instance` lookup pages through the whole listing and matches `id` exactly,
    failing on none (terraform-provider-vultr v2.27.1, vultr/data_source_vultr_instance.go)."""
    node_ids = cluster.node_pools.apply(_node_ids)
    addresses = []
    for i in range(spec.node_count):
        node = vultr.get_instance_output(
            filters=node_ids.apply(_id_filter(i)),
            opts=pulumi.InvokeOutputOptions(parent=parent),
        )
        addresses.append(node.main_ip.apply(lambda ip: f"{ip}/32"))
    return addresses


def _node_ids(pool: vultr.outputs.KubernetesNodePools | None) -> list[str]:
    # Oldest node first, as in civo.py: a new node must not shift the others' rules.
    nodes = [n for n in (pool.nodes if pool and pool.nodes else []) if n.id]
    return [str(n.id) for n in sorted(nodes, key=lambda n: (n.date_created or "", str(n.id)))]


def _id_filter(index: int) -> Callable[[list[str]], list[vultr.GetInstanceFilterArgs]]:
    def node(ids: list[str]) -> list[vultr.GetInstanceFilterArgs]:
        if not ids:
            raise RuntimeError("Vultr reported no nodes in the pool")
        return [vultr.GetInstanceFilterArgs(name="id", values=[ids[min(index, len(ids) - 1)]])]

    return node
