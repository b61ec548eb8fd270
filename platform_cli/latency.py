"""How long `pulumi up` waits for each kind of resource: the time-to-platform model's input.

Seconds, from the sources named beside each figure. Where no measurement is published
the figure is an estimate and says so. Pulumi waits for a Helm release until its
workloads are ready (and its hooks ran); it does not wait for a custom resource's
controller (a Certificate's issuance, an ApplicationSet's sync), so those count as an
API call.
"""

from __future__ import annotations

from platform_cli.runner import Registration

API_CALL = 2.0

BY_TYPE: dict[str, float] = {
    # Civo: "clusters in under 90 seconds" (civo.com/kubernetes); kubefirst reports about
    # 10 minutes to a whole platform on Civo. 110 s leaves room for the node pool.
    "civo:index/kubernetesCluster:KubernetesCluster": 110.0,
    # Estimate: Civo managed databases report "Ready" after several minutes.
    "civo:index/database:Database": 300.0,
    "civo:index/network:Network": 3.0,
    "civo:index/firewall:Firewall": 3.0,
    # Estimate: Vultr publishes no figure; the provider waits for the cluster to be
    # "running" and the node pool "active", typically a few minutes.
    "vultr:index/kubernetes:Kubernetes": 240.0,
    "vultr:index/firewallRule:FirewallRule": API_CALL,
    # Cloudflare and AWS control-plane calls return in about a second (API docs'
    # synchronous responses); IAM is eventually consistent, hence 3 s for users and keys.
    "aws:iam/user:User": 3.0,
    "aws:iam/accessKey:AccessKey": 3.0,
    "kubernetes:core/v1:Secret": 1.0,
    "kubernetes:core/v1:Namespace": 1.0,
    "kubernetes:core/v1:ServiceAccount": 1.0,
    "pulumi:providers:kubernetes": 0.0,
    "pulumi:providers:postgresql": 0.0,
}

# Helm releases, until ready. The reference platform (juanroldan1989/platform) reports
# its management cluster at 1m58s and Argo CD at 3m01s: about 63 s for Argo CD. The
# others are estimates from their workloads: webhooks and CRDs (cert-manager, ESO,
# Envoy Gateway with its certgen hook) take longer than a single controller.
BY_CHART: dict[str, float] = {
    "argo-cd": 63.0,
    "cert-manager": 60.0,
    "gateway-helm": 45.0,
    "ingress-nginx": 45.0,
    "external-secrets": 40.0,
    "external-dns": 20.0,
    "sealed-secrets": 20.0,
    # Estimate: no published figure. The release waits for the operator's admission
    # webhook job and its Deployments (operator, kube-state-metrics, Grafana with its
    # sidecars); the Prometheus and Alertmanager StatefulSets the operator creates
    # afterwards are not waited for. About twice cert-manager's hooks and webhook.
    "kube-prometheus-stack": 120.0,
    # Estimate: one Deployment, no hooks or CRDs, like external-dns.
    "opencost": 20.0,
}


def latency(resource: Registration) -> float:
    if not resource.custom:
        return 0.0
    if resource.type == "kubernetes:helm.sh/v3:Release":
        chart = str(resource.revealed_inputs.get("chart", "")).rsplit("/", 1)[-1]
        return BY_CHART.get(chart, 60.0)
    return BY_TYPE.get(resource.type, API_CALL)
