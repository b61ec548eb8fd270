"""Civo: a private Network, a Firewall that owns every ingress rule, and a k3s cluster."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_civo as civo

from infra import naming
from infra.clusters.base import (
    API_PORT,
    DEDICATED_EXPOSURE,
    ClusterHandle,
    ClusterRequest,
    exposure_annotation,
    kubernetes_provider,
    sorted_cidrs,
)
from infra.config import CivoClusterSpec
from infra.edge import CIVO_FIREWALL_ID, proxy_protocol, proxy_protocol_enabled
from infra.outputs import secret
from infra.versions import CIVO_CLUSTER_TYPE

ALL_TRAFFIC = ["0.0.0.0/0"]
# On every load balancer in front of a traffic controller here (see infra.edge).
PROXY_PROTOCOL = proxy_protocol("civo")


def _ingress(
    label: str, port: str, cidrs: pulumi.Input[Sequence[pulumi.Input[str]]]
) -> civo.FirewallIngressRuleArgs:
    return civo.FirewallIngressRuleArgs(
        action="allow", protocol="tcp", port_range=port, cidrs=cidrs, label=label
    )


def _egress(protocol: str) -> civo.FirewallEgressRuleArgs:
    return civo.FirewallEgressRuleArgs(
        action="allow",
        protocol=protocol,
        port_range="1-65535" if protocol != "icmp" else None,
        cidrs=ALL_TRAFFIC,
        label=f"egress-{protocol}",
    )


def _https_only(cidrs: list[str]) -> list[civo.FirewallIngressRuleArgs]:
    # Never a rule without CIDRs: Civo reads a missing CIDR as 0.0.0.0/0.
    if not cidrs:
        raise RuntimeError("a dedicated load balancer needs at least one source")
    return [_ingress("https-only", "443", cidrs)]


def default_kubernetes_version(parent: pulumi.Resource) -> pulumi.Output[str]:
    """Civo's current default k3s version, looked up rather than written down."""
    lookup = civo.get_kubernetes_version_output(
        filters=[
            civo.GetKubernetesVersionFilterArgs(key="type", values=[CIVO_CLUSTER_TYPE]),
            civo.GetKubernetesVersionFilterArgs(key="default", values=["true"]),
        ],
        opts=pulumi.InvokeOutputOptions(parent=parent),
    )
    return lookup.versions.apply(lambda versions: versions[0].version)


def create(
    request: ClusterRequest, spec: CivoClusterSpec, parent: pulumi.Resource
) -> ClusterHandle:
    name = request.name
    cloud_name = naming.cluster_cloud_name(request.environment, name)
    child = pulumi.ResourceOptions(parent=parent)
    web = request.web_cidrs()
    network = civo.Network(f"{name}-network", label=cloud_name, region=spec.region, opts=child)
    firewall = civo.Firewall(
        f"{name}-firewall",
        name=cloud_name,
        region=spec.region,
        network_id=network.id,
        create_default_rules=False,
        ingress_rules=[
            _ingress("kubernetes-api", str(API_PORT), [s.cidr for s in request.api_sources]),
            _ingress("http", "80", web),
            _ingress("https", "443", web),
        ],
        egress_rules=[_egress("tcp"), _egress("udp"), _egress("icmp")],
        opts=child,
    )
    # The load balancer's own firewall: Civo's controller attaches the open default one
    # unless the Service names another. Its traffic reaches the nodes on their private
    # addresses and NodePorts, which the node firewall's 80/443 rules do not cover.
    lb_firewall = civo.Firewall(
        f"{name}-lb-firewall",
        name=naming.load_balancer_firewall(request.environment, name),
        region=spec.region,
        network_id=network.id,
        create_default_rules=False,
        ingress_rules=[_ingress("http", "80", web), _ingress("https", "443", web)],
        egress_rules=[_egress("tcp"), _egress("udp"), _egress("icmp")],
        opts=child,
    )
    dedicated = {
        lb: civo.Firewall(
            f"{name}-{lb}-lb-firewall",
            name=naming.load_balancer_firewall(request.environment, f"{name}-{lb}"),
            region=spec.region,
            network_id=network.id,
            create_default_rules=False,
            ingress_rules=sorted_cidrs(cidrs).apply(_https_only),
            egress_rules=[_egress("tcp"), _egress("udp"), _egress("icmp")],
            opts=child,
        )
        for lb, cidrs in request.dedicated_load_balancers.items()
    }
    version: pulumi.Input[str]
    if spec.kubernetes_version:
        version, ignore = spec.kubernetes_version, []
    else:
        # A looked-up default only seeds creation; a later default must not upgrade the
        # cluster by surprise. Pin `kubernetesVersion` in config to upgrade on purpose.
        version, ignore = default_kubernetes_version(parent), ["kubernetesVersion"]
    cluster = civo.KubernetesCluster(
        name,
        name=cloud_name,
        region=spec.region,
        network_id=network.id,
        firewall_id=firewall.id,
        cluster_type=CIVO_CLUSTER_TYPE,
        kubernetes_version=version,
        # Without it the provider stores no kubeconfig (v1.1.4 Read L357-362), and every
        # Kubernetes provider on this cluster would fall back to the runner's own. The
        # value is Sensitive upstream, so Pulumi keeps it as a secret.
        write_kubeconfig=True,
        tags=" ".join(request.tags),
        pools=civo.KubernetesClusterPoolsArgs(
            label=f"{name}-pool", size=spec.node_size, node_count=spec.node_count
        ),
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=ignore),
    )
    egress = [pulumi.Output.from_input(c) for c in spec.egress_cidrs] or [
        _control_plane_egress(name, cluster)
    ]
    kubeconfig = secret(cluster.kubeconfig)
    return ClusterHandle(
        name=name,
        provider_name="civo",
        region=spec.region,
        kubeconfig=kubeconfig,
        api_endpoint=cluster.api_endpoint,
        egress_cidrs=egress,
        k8s_provider=kubernetes_provider(name, kubeconfig, parent),
        load_balancer_annotations=lb_firewall.id.apply(
            lambda firewall_id: {
                **exposure_annotation(request),
                **PROXY_PROTOCOL,
                CIVO_FIREWALL_ID: firewall_id,
            }
        ),
        dedicated_annotations={
            lb: firewall.id.apply(
                lambda firewall_id: {
                    **DEDICATED_EXPOSURE,
                    **PROXY_PROTOCOL,
                    CIVO_FIREWALL_ID: firewall_id,
                }
            )
            for lb, firewall in dedicated.items()
        },
        sends_proxy_protocol=proxy_protocol_enabled(PROXY_PROTOCOL),
    )


def _control_plane_egress(name: str, cluster: civo.KubernetesCluster) -> pulumi.Output[str]:
    """Civo's worker nodes have no public address: every pod's traffic leaves through the
    control-plane node, the cluster's `master_ip`. Sources: Civo's Andy Jeffries in
    civo/kube100#9 ("there will only be a single IP for the cluster"), and a measurement
    with `curl ifconfig.me` on every node, https://www.kubeblogs.com/how-civo-kubernetes-
    routes-pod-traffic-single-egress-ip-explained. Civo's own controller adds a node's
    ExternalIP only when it has one (civo-cloud-controller-manager v0.1.9,
    cloud-controller-manager/civo/instances.go). Not the instance listing: it may not
    hold k3s nodes, and terraform-provider-civo v1.1.4 reads only its first 200 entries."""

    def cidr(ip: str | None) -> str:
        if not ip:
            raise RuntimeError(
                f"cluster {name!r}: Civo reported no master_ip; set the cluster's "
                "egressCidrs in config"
            )
        return f"{ip}/32"

    return cluster.master_ip.apply(cidr)
