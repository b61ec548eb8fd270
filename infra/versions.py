"""Every pinned chart and Kubernetes version, in one place.

Chart pins match ``../shared/upstream/README.md``; the fidelity tests hold them to it.
Stack config may override a chart version (``platform:chartVersions``), never the chart.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartPin:
    chart: str
    version: str
    repository: str

    @property
    def is_oci(self) -> bool:
        return self.repository.startswith("oci://")


CHARTS: dict[str, ChartPin] = {
    pin.chart: pin
    for pin in (
        ChartPin("argo-cd", "10.1.1", "https://argoproj.github.io/argo-helm"),
        ChartPin("cert-manager", "v1.21.1", "https://charts.jetstack.io"),
        ChartPin("external-dns", "1.21.1", "https://kubernetes-sigs.github.io/external-dns/"),
        ChartPin("external-secrets", "2.9.0", "https://charts.external-secrets.io"),
        ChartPin("sealed-secrets", "2.18.5", "https://bitnami-labs.github.io/sealed-secrets"),
        ChartPin("gateway-helm", "v1.9.0", "oci://docker.io/envoyproxy"),
        ChartPin(
            "kube-prometheus-stack", "88.5.3", "https://prometheus-community.github.io/helm-charts"
        ),
        ChartPin("opencost", "2.5.17", "https://opencost.github.io/opencost-helm-chart"),
        ChartPin("reloader", "2.2.15", "https://stakater.github.io/stakater-charts"),
        # Retired upstream in March 2026: kept only as an opt-in alternative.
        ChartPin("ingress-nginx", "4.15.1", "https://kubernetes.github.io/ingress-nginx"),
    )
}

# Kubernetes versions are not pinned here: Civo's default comes from the
# `get_kubernetes_version` lookup, and Vultr clusters name theirs in config because
# the Vultr SDK has no lookup.
CIVO_CLUSTER_TYPE = "k3s"

# The oldest Kubernetes minor the platform supports: Civo's current k3s default line.
# Core objects are validated against this version's OpenAPI schema.
MIN_KUBERNETES_VERSION = "1.32.0"

# kube-bench's image, as aquasecurity/kube-bench v0.15.6 pins it in its job.yaml; the
# benchmarks it is run with are in infra/addons/kube_bench.py.
KUBE_BENCH_IMAGE = "docker.io/aquasec/kube-bench:v0.15.6"

# The Python that Pulumi Deployments runs the program with: the executor image is
# `pulumi/pulumi-python-<this>:<the pulumi SDK's version>`, so the CLI matches the SDK and
# the interpreter matches pyproject's `requires-python`. The default image's default
# Python (3.13, pulumi/pulumi-docker-containers docker/pulumi/Dockerfile `pyenv global`)
# is outside it. Images per version: .github/scripts/matrix/versions.py there.
DEPLOYMENTS_PYTHON = "3.11"
