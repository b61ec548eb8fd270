"""Every name the platform gives to something outside Pulumi: host names, names in cloud
accounts, secret paths. They live here so a naming scheme changes in one place, and no
other module spells a host name or a secret path itself.
"""

from __future__ import annotations

from collections.abc import Sequence

# The management cluster's name: its resource names, cloud names, IAM user and DNS owner
# derive from it exactly as a workload cluster's do, so no workload cluster may take it.
MGMT_CLUSTER = "mgmt"


def is_production(environment: str) -> bool:
    return environment.startswith("prod")


# --- host names and URLs --------------------------------------------------------------


# Every host name is one label below the domain, which is the Cloudflare zone's apex:
# Universal SSL covers the apex and one level of subdomain only
# (https://developers.cloudflare.com/ssl/edge-certificates/universal-ssl/limitations/),
# so a proxied `a.b.<zone>` would get no edge certificate.


def cluster_domain(cluster: str, domain: str) -> str:
    """A cluster's own name: it makes the cluster's certificate request unique."""
    return f"{cluster}.{domain}"


def cluster_certificate_names(cluster: str, domain: str) -> list[str]:
    """What a cluster's one certificate covers: every host under the domain, plus the
    cluster's own name, so no two clusters ask Let's Encrypt for the same set of names
    (5 certificates a week per identical set: https://letsencrypt.org/docs/rate-limits/)."""
    return [wildcard(domain), cluster_domain(cluster, domain)]


def wildcard(name: str) -> str:
    return f"*.{name}"


def argocd_host(domain: str) -> str:
    return f"argocd.{domain}"


def grafana_host(domain: str) -> str:
    return f"grafana.{domain}"


def metrics_write_host(mgmt_cluster: str, domain: str) -> str:
    """Where workload clusters' Prometheus agents remote-write: the hub on the
    management cluster, one label below the domain like every other host."""
    return app_cluster_host("prometheus", mgmt_cluster, domain)


def app_host(app: str, domain: str) -> str:
    """A public app's global host name, served by its Cloudflare load balancer."""
    return f"{app}.{domain}"


def app_cluster_host(app: str, cluster: str, domain: str) -> str:
    """An app's host name on one cluster: a load-balancer origin, or how other clusters
    call a private app (proxied, so one label deep)."""
    return f"{app}-{cluster}.{domain}"


def https_url(host: str, port: int | None = None) -> str:
    return f"https://{host}:{port}" if port else f"https://{host}"


def readme_url(repository: str, branch: str, anchor: str) -> str:
    """A section of the project's README on GitHub, where alerts link their runbook."""
    return f"https://github.com/{repository}/blob/{branch}/README.md#{anchor}"


def service_url(service: str, namespace: str, port: int) -> str:
    """An in-cluster Service, called over plain HTTP without leaving the cluster."""
    return f"http://{service}.{namespace}.svc.cluster.local:{port}"


# --- AWS Secrets Manager --------------------------------------------------------------


def secrets_prefix(environment: str) -> str:
    """Where every secret of an environment lives in AWS Secrets Manager."""
    return f"platform/{environment}"


def secret_path(environment: str, *parts: str) -> str:
    return "/".join((secrets_prefix(environment), *parts))


def app_secret_path(environment: str, database: str, app: str) -> str:
    """An app's own database credentials: the only secrets a cluster identity may read."""
    return secret_path(environment, database, app)


def admin_secret_path(environment: str, database: str) -> str:
    """A database's admin credentials; ``"*"`` as database gives the pattern of them all."""
    return secret_path(environment, database, "admin")


def secret_arn_pattern(region: str, account_id: str, path: str) -> str:
    """The ARN of the secret named ``path`` and nothing else: Secrets Manager appends a
    dash and six random characters to every name, so ``-??????`` matches exactly those
    (a trailing ``*`` would also match ``<path>-other``)."""
    return f"arn:aws:secretsmanager:{region}:{account_id}:secret:{path}-??????"


def environment_secrets_arn(region: str, account_id: str, environment: str) -> str:
    """Every secret of an environment: only ever granted together with a condition on
    the secret's tags (see ``secret_reader_tag``)."""
    return f"arn:aws:secretsmanager:{region}:{account_id}:secret:{secrets_prefix(environment)}/*"


# The tags every secret carries, and the one that lets a cluster's identity read it: an
# app's secret carries a reader tag for each cluster the app is placed on, and each
# cluster's policy allows reading what carries its own. The policy stays the same size
# whatever the app count (IAM's 2,048-character quota, infra.limits.aws); moving an app
# retags its secret.
SECRET_READER_TAG_VALUE = "read"


def secret_reader_tag(cluster: str) -> str:
    return f"platform-reader-{cluster}"


def secret_tags(environment: str, readers: Sequence[str] = ()) -> dict[str, str]:
    return {
        "environment": environment,
        "managed-by": "pulumi",
        **{secret_reader_tag(cluster): SECRET_READER_TAG_VALUE for cluster in readers},
    }


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


# Names a cloud account holds once: dev and prod may share the account, so each carries
# the environment. Civo rejects a second cluster or firewall of the same name
# (civo/terraform-provider-civo v1.1.4 civo/kubernetes/resource_kubernetes_cluster.go
# "must be unique within your account"; civo/civogo v0.3.89 errors.go
# `DatabaseKubernetesClusterDuplicateError`, `DatabaseFirewallDuplicateNameError`,
# `DatabaseNetworkDuplicateNameError`). Renaming one replaces the cloud resource.


def cluster_cloud_name(environment: str, cluster: str) -> str:
    """The name a cluster, its network and its firewall carry in the cloud account."""
    return f"{environment}-{cluster}"


def load_balancer_firewall(environment: str, cluster: str) -> str:
    """The Civo firewall in front of a cluster's load balancer."""
    return f"{cluster_cloud_name(environment, cluster)}-lb"


def database_cloud_name(environment: str, database: str) -> str:
    """The Civo name of the shared database."""
    return f"{environment}-{database}"


def database_network(environment: str, database: str) -> str:
    """The Civo network label and firewall name of the shared database."""
    return f"{database_cloud_name(environment, database)}-db"


def wildcard_certificate_secret(cluster: str) -> str:
    """The Secret holding a cluster's wildcard certificate."""
    return f"wildcard-{cluster}-tls"


# --- database backups -----------------------------------------------------------------

# S3 bucket names are global across every AWS account and at most 63 characters
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html): the
# account id keeps this one ours, and validation keeps it short enough.
BACKUP_BUCKET_SUFFIX = "-database-backups-"
MAX_BUCKET_NAME = 63
AWS_ACCOUNT_ID_LENGTH = 12


def backup_bucket(environment: str, account_id: str) -> str:
    """The environment's backup bucket. It does not name the database, so a move to a new
    instance (a resize) keeps writing where the earlier dumps are."""
    return f"{environment}{BACKUP_BUCKET_SUFFIX}{account_id}"


def backup_prefix(app: str) -> str:
    """Where an app's dumps go in the bucket; the writer may put objects only below it."""
    return f"{app}/"


def backup_writer_user(environment: str) -> str:
    """The IAM user whose key the backup jobs upload with."""
    return f"platform-{environment}-backup-writer"
