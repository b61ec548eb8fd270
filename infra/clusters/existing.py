"""A cluster Pulumi does not create, such as a local kind cluster: a kubeconfig and nothing else."""

from __future__ import annotations

import pulumi
import yaml

from infra.clusters.base import ClusterHandle, ClusterRequest, kubernetes_provider
from infra.config import ExistingClusterSpec
from infra.edge import EXPOSURE
from infra.outputs import secret


def api_server(kubeconfig: str) -> str:
    """The server of the kubeconfig's current context."""
    document = yaml.safe_load(kubeconfig) or {}
    contexts = {c["name"]: c["context"] for c in document.get("contexts", [])}
    clusters = {c["name"]: c["cluster"] for c in document.get("clusters", [])}
    current = contexts.get(document.get("current-context", ""), {})
    cluster = clusters.get(current.get("cluster", ""))
    if cluster is None and clusters:
        cluster = next(iter(clusters.values()))
    if cluster is None or "server" not in cluster:
        raise ValueError("platform:mgmtKubeconfig has no cluster server")
    return str(cluster["server"])


def create(
    request: ClusterRequest, spec: ExistingClusterSpec, parent: pulumi.Resource
) -> ClusterHandle:
    if request.kubeconfig is None:
        raise ValueError("an existing cluster needs its kubeconfig")
    kubeconfig = secret(request.kubeconfig)
    return ClusterHandle(
        name=request.name,
        provider_name="existing",
        region=spec.region,
        kubeconfig=kubeconfig,
        # The server URL is not a credential; unwrapping it keeps it readable in outputs.
        api_endpoint=pulumi.Output.unsecret(kubeconfig.apply(api_server)),
        egress_cidrs=[pulumi.Output.from_input(c) for c in spec.egress_cidrs],
        k8s_provider=kubernetes_provider(request.name, kubeconfig, parent),
        # The platform does not own this cluster's load balancers; its owner restricts them.
        load_balancer_annotations=pulumi.Output.from_input({EXPOSURE: "unmanaged"}),
        dedicated_annotations={
            lb: pulumi.Output.from_input({EXPOSURE: "unmanaged"})
            for lb in request.dedicated_load_balancers
        },
    )
