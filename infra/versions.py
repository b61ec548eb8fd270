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
# The database backup jobs' images (infra/backups). pg_dump reads servers of its own major
# and older ones, so one client at the newest major Civo offers (catalog.CIVO_DB_VERSIONS)
# dumps them all; a test keeps it at least that new. The tag is docker-library's:
# official-images 37079fb336 library/postgres "Tags: 17.11-bookworm".
POSTGRES_CLIENT_MAJOR = 17
POSTGRES_CLIENT_IMAGE = "docker.io/library/postgres:17.11-bookworm"
# The postgres user of docker-library's Debian images (its Dockerfile: `useradd -r -g
# postgres --uid=999`); the jobs run as it.
POSTGRES_IMAGE_USER = 999
# AWS's own image of the AWS CLI v2 (Docker Hub amazon/aws-cli, built from aws/aws-cli),
# by the tag and digest a public repository pins it at.
AWS_CLI_IMAGE = (
    "docker.io/amazon/aws-cli:2.37.5"
    "@sha256:fb7ccfc7b4e3a05017e6c9ded4ba959b99af622130e211fb976c68c2f4d3f224"
)
