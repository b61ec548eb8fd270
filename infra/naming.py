"""Every name the platform gives to something outside Pulumi: host names, names in cloud
accounts, secret paths. They live here so a naming scheme changes in one place, and no
other module spells a host name or a secret path itself.
"""

from __future__ import annotations


def is_production(environment: str) -> bool:
    return environment.startswith("prod")


# --- host names and URLs --------------------------------------------------------------


def cluster_domain(cluster: str, domain: str) -> str:
    """The DNS name a cluster owns: its routes, certificate and external-dns records."""
    return f"{cluster}.{domain}"


def wildcard(name: str) -> str:
    return f"*.{name}"


def argocd_host(domain: str) -> str:
    return f"argocd.{domain}"


def grafana_host(domain: str) -> str:
    return f"grafana.{domain}"


def metrics_write_host(mgmt_cluster: str, domain: str) -> str:
    """Where workload clusters' Prometheus agents remote-write: under the management
    cluster's own domain, so its wildcard certificate and DNS filter already cover it."""
    return f"prometheus.{cluster_domain(mgmt_cluster, domain)}"


def app_host(app: str, domain: str) -> str:
    """A public app's global host name, served by its Cloudflare load balancer."""
    return f"{app}.{domain}"


def app_cluster_host(app: str, cluster: str, domain: str) -> str:
    """An app's host name on one cluster: a load-balancer origin, or how other clusters
    call a private app."""
    return f"{app}.{cluster_domain(cluster, domain)}"


def https_url(host: str, port: int | None = None) -> str:
    return f"https://{host}:{port}" if port else f"https://{host}"


def service_url(service: str, namespace: str, port: int) -> str:
    """An in-cluster Service, called over plain HTTP without leaving the cluster."""
    return f"http://{service}.{namespace}.svc.cluster.local:{port}"


# --- AWS Secrets Manager --------------------------------------------------------------


def secrets_prefix(environment: str) -> str:
    """Where every secret of an environment lives in AWS Secrets Manager."""
    return f"platform/{environment}"


def secret_path(environment: str, *parts: str) -> str:
    return "/".join((secrets_prefix(environment), *parts))


# --- names in cloud accounts ----------------------------------------------------------


def secret_reader_user(environment: str, cluster: str) -> str:
    """A cluster's IAM user (IAM user names are unique per AWS account)."""
    return f"platform-{environment}-{cluster}-secret-reader"


def dns_token(environment: str, cluster: str) -> str:
    """A cluster's zone-scoped Cloudflare API token."""
    return f"platform-{environment}-{cluster}-dns"


def dns_owner_id(environment: str, cluster: str) -> str:
    """external-dns's TXT owner id: which cluster's records are which."""
    return f"{environment}-{cluster}"


def load_balancer_pool(environment: str, app: str, cluster: str) -> str:
    return f"{environment}-{app}-{cluster}"


def load_balancer_monitor(environment: str, app: str) -> str:
    """A monitor's description, the only name a Cloudflare monitor has."""
    return f"{environment} {app}"


def cluster_cloud_name(cluster: str) -> str:
    """The name a cluster, its network and its firewall carry in the cloud account."""
    return cluster


def database_network(database: str) -> str:
    """The Civo network label and firewall name of the shared database."""
    return f"{database}-db"


def wildcard_certificate_secret(cluster: str) -> str:
    """The Secret holding a cluster's wildcard certificate."""
    return f"wildcard-{cluster}-tls"
