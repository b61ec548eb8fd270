"""The backup jobs on the management cluster: a namespace of their own, a network policy
that lets them reach the database, S3 and DNS and nothing else (and lets nothing reach
them), each app's login in a Secret only its job reads, and one CronJob per app.

Pod Security `restricted`: both containers run as the postgres image's non-root user,
read-only root filesystems, no privilege escalation, every capability dropped, the
runtime's seccomp profile, and no Kubernetes API token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from infra import naming
from infra.addons.base import AddonContext, Namespace
from infra.addons.traffic import NAMESPACE_NAME_LABEL
from infra.backups import scripts
from infra.backups.storage import BackupStorage
from infra.components.contracts import DatabaseLogin
from infra.config import BackupConfig
from infra.versions import AWS_CLI_IMAGE, POSTGRES_CLIENT_IMAGE, POSTGRES_IMAGE_USER

NAMESPACE = "database-backups"
WRITER_SECRET = "backup-writer"
JOB_LABEL = "platform/database-backup"
# A run that has not finished by then fails, and the failure alert fires after it.
DEADLINE_SECONDS = 3600
# Retries of a failed run within one schedule slot.
RETRIES = 2
RUNS_KEPT = 3
# Addresses a dump never goes to: private ranges, the shared range, link-local (the
# clouds' metadata services).
NOT_S3 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"]
# What each container asks for, and the memory it may not pass. pg_dump streams rows to
# the file; its memory grows with the number of objects it describes, not the data. The
# AWS CLI uploads in parts (8 MiB each, 10 at a time by default), so a few hundred MiB
# cover it. No CPU limit: throttling a dump only lengthens it towards its deadline.
DUMP_RESOURCES = k8s.core.v1.ResourceRequirementsArgs(
    requests={"cpu": "100m", "memory": "256Mi"}, limits={"memory": "1Gi"}
)
UPLOAD_RESOURCES = k8s.core.v1.ResourceRequirementsArgs(
    requests={"cpu": "100m", "memory": "128Mi"}, limits={"memory": "512Mi"}
)
DNS_PORT = 53
HTTPS_PORT = 443


# The CronJob controller names each Job `<cronjob>-<minutes since epoch>` and a CronJob
# name longer than 52 characters is refused (kubernetes pkg/apis/batch/validation
# validation.go, ValidateCronJobCreate); validation holds backed-up apps to it.
MAX_JOB_NAME = 52


def job_name(app: str) -> str:
    """The CronJob's name: the app's."""
    return app


def credentials_secret(app: str) -> str:
    return f"{app}-database"


def backup_namespace(ctx: AddonContext) -> Namespace:
    return ctx.namespace(NAMESPACE)


def network_policy(
    ctx: AddonContext,
    namespace: Namespace,
    database_host: pulumi.Input[str],
    database_port: pulumi.Input[int],
) -> k8s.networking.v1.NetworkPolicy:
    """Egress to the database's address and port, to HTTPS anywhere public (S3's
    addresses are AWS's many ranges), to DNS in kube-system; no ingress at all."""
    tcp = "TCP"
    return k8s.networking.v1.NetworkPolicy(
        ctx.name("backup-egress"),
        metadata=k8s.meta.v1.ObjectMetaArgs(name="backup-egress", namespace=NAMESPACE),
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(),
            policy_types=["Ingress", "Egress"],
            egress=[
                k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[
                        k8s.networking.v1.NetworkPolicyPeerArgs(
                            ip_block=k8s.networking.v1.IPBlockArgs(
                                cidr=pulumi.Output.from_input(database_host).apply(
                                    lambda host: f"{host}/32"
                                )
                            )
                        )
                    ],
                    ports=[
                        k8s.networking.v1.NetworkPolicyPortArgs(protocol=tcp, port=database_port)
                    ],
                ),
                k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[
                        k8s.networking.v1.NetworkPolicyPeerArgs(
                            ip_block=k8s.networking.v1.IPBlockArgs(cidr="0.0.0.0/0", except_=NOT_S3)
                        )
                    ],
                    ports=[k8s.networking.v1.NetworkPolicyPortArgs(protocol=tcp, port=HTTPS_PORT)],
                ),
                k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[
                        k8s.networking.v1.NetworkPolicyPeerArgs(
                            namespace_selector=k8s.meta.v1.LabelSelectorArgs(
                                match_labels={NAMESPACE_NAME_LABEL: "kube-system"}
                            )
                        )
                    ],
                    ports=[
                        k8s.networking.v1.NetworkPolicyPortArgs(protocol=p, port=DNS_PORT)
                        for p in ("UDP", tcp)
                    ],
                ),
            ],
        ),
        opts=ctx.opts(depends_on=namespace.after),
    )


def _restricted() -> k8s.core.v1.SecurityContextArgs:
    return k8s.core.v1.SecurityContextArgs(
        allow_privilege_escalation=False,
        read_only_root_filesystem=True,
        capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
    )


def _env(values: Mapping[str, str]) -> list[k8s.core.v1.EnvVarArgs]:
    return [k8s.core.v1.EnvVarArgs(name=k, value=v) for k, v in values.items()]


def pod_spec(app: str, storage: BackupStorage) -> k8s.core.v1.PodSpecArgs:
    scratch = k8s.core.v1.VolumeMountArgs(name="scratch", mount_path=scripts.SCRATCH)
    dump_file = {"DUMP_FILE": scripts.DUMP_FILE}
    return k8s.core.v1.PodSpecArgs(
        restart_policy="Never",
        automount_service_account_token=False,
        security_context=k8s.core.v1.PodSecurityContextArgs(
            run_as_non_root=True,
            run_as_user=POSTGRES_IMAGE_USER,
            run_as_group=POSTGRES_IMAGE_USER,
            fs_group=POSTGRES_IMAGE_USER,
            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
        ),
        init_containers=[
            k8s.core.v1.ContainerArgs(
                name="dump",
                image=POSTGRES_CLIENT_IMAGE,
                command=scripts.shell(scripts.DUMP),
                env=_env(dump_file),
                env_from=[
                    k8s.core.v1.EnvFromSourceArgs(
                        secret_ref=k8s.core.v1.SecretEnvSourceArgs(name=credentials_secret(app))
                    )
                ],
                volume_mounts=[scratch],
                resources=DUMP_RESOURCES,
                security_context=_restricted(),
            )
        ],
        containers=[
            k8s.core.v1.ContainerArgs(
                name="upload",
                image=AWS_CLI_IMAGE,
                command=scripts.shell(scripts.UPLOAD),
                env=_env(
                    {
                        **dump_file,
                        "BACKUP_PREFIX": naming.backup_prefix(app),
                        "AWS_DEFAULT_REGION": storage.region,
                        # The CLI keeps its caches under $HOME; the root filesystem is
                        # read-only.
                        "HOME": "/tmp",
                    }
                ),
                # The key and the bucket's name.
                env_from=[
                    k8s.core.v1.EnvFromSourceArgs(
                        secret_ref=k8s.core.v1.SecretEnvSourceArgs(name=WRITER_SECRET)
                    )
                ],
                volume_mounts=[
                    k8s.core.v1.VolumeMountArgs(
                        name="scratch", mount_path=scripts.SCRATCH, read_only=True
                    ),
                    k8s.core.v1.VolumeMountArgs(name="home", mount_path="/tmp"),
                ],
                resources=UPLOAD_RESOURCES,
                security_context=_restricted(),
            )
        ],
        volumes=[
            k8s.core.v1.VolumeArgs(
                name="scratch", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs()
            ),
            k8s.core.v1.VolumeArgs(name="home", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs()),
        ],
    )


def writer_secret(
    ctx: AddonContext, namespace: Namespace, storage: BackupStorage
) -> k8s.core.v1.Secret:
    return ctx.secret(
        WRITER_SECRET,
        namespace,
        {
            "AWS_ACCESS_KEY_ID": storage.access_key_id,
            "AWS_SECRET_ACCESS_KEY": storage.secret_access_key,
            "BACKUP_BUCKET": storage.bucket,
        },
    )


def login_secret(
    ctx: AddonContext,
    namespace: Namespace,
    app: str,
    login: DatabaseLogin,
    *,
    host: pulumi.Input[str],
    port: pulumi.Input[int],
) -> k8s.core.v1.Secret:
    """The app's own login, as libpq's environment; the admin's never comes here. Written
    only once the database accepts it (a rotation renews the role's password first)."""
    return ctx.secret(
        credentials_secret(app),
        namespace,
        {
            "PGHOST": host,
            "PGPORT": pulumi.Output.from_input(port).apply(str),
            "PGDATABASE": login.database,
            "PGUSER": login.user,
            "PGPASSWORD": login.password,
            # Civo's databases take TLS; so does every other connection the platform makes.
            "PGSSLMODE": "require",
        },
        depends_on=login.ready,
    )


def cron_job(
    ctx: AddonContext,
    app: str,
    config: BackupConfig,
    storage: BackupStorage,
    depends_on: Sequence[pulumi.Resource],
) -> k8s.batch.v1.CronJob:
    labels = {JOB_LABEL: app}
    return k8s.batch.v1.CronJob(
        ctx.name("backup", app),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=job_name(app), namespace=NAMESPACE, labels=labels),
        spec=k8s.batch.v1.CronJobSpecArgs(
            schedule=config.schedule,
            time_zone="Etc/UTC",
            concurrency_policy="Forbid",
            # A slot missed by more than this (the controller down, the cluster rebuilt)
            # is skipped, not run late in a burst.
            starting_deadline_seconds=DEADLINE_SECONDS,
            successful_jobs_history_limit=RUNS_KEPT,
            failed_jobs_history_limit=RUNS_KEPT,
            job_template=k8s.batch.v1.JobTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                spec=k8s.batch.v1.JobSpecArgs(
                    backoff_limit=RETRIES,
                    active_deadline_seconds=DEADLINE_SECONDS,
                    template=k8s.core.v1.PodTemplateSpecArgs(
                        metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                        spec=pod_spec(app, storage),
                    ),
                ),
            ),
        ),
        opts=ctx.opts(depends_on=depends_on),
    )
