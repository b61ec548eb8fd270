"""DatabaseBackups: the bucket in AWS, and on the management cluster the jobs that fill it
and the alerts that watch them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from infra.backups import jobs
from infra.backups.alerts import backup_rules
from infra.backups.storage import backup_storage
from infra.components.contracts import DatabaseLogin, OperationsTarget
from infra.config import BackupConfig

MONITORING_API = "monitoring.coreos.com/v1"
MONITORING_NAMESPACE = "monitoring"


@dataclass(frozen=True)
class DatabaseBackupsArgs:
    environment: str
    aws_region: str
    config: BackupConfig
    # The database instance, as the apps reach it.
    host: pulumi.Output[str]
    port: pulumi.Output[int]
    # Each database app's own login, by app.
    logins: Mapping[str, DatabaseLogin]
    # Where the jobs run: the management cluster.
    target: OperationsTarget
    # As the database's: the bucket is kept from `up` and `destroy` alike, and when the
    # database is retained, so are its dumps (a destroy leaves both).
    protect: bool
    retain_on_delete: bool


class DatabaseBackups(pulumi.ComponentResource):
    bucket: pulumi.Output[str]

    def __init__(
        self, name: str, args: DatabaseBackupsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:index:DatabaseBackups", name, None, opts)
        storage = backup_storage(
            name,
            environment=args.environment,
            region=args.aws_region,
            apps=sorted(args.logins),
            retention_days=args.config.retention_days,
            protect=args.protect,
            retain_on_delete=args.retain_on_delete,
            parent=self,
        )
        ctx = args.target.context(parent=self)
        namespace = jobs.backup_namespace(ctx)
        policy = jobs.network_policy(ctx, namespace, args.host, args.port)
        writer = jobs.writer_secret(ctx, namespace, storage)
        for app, login in sorted(args.logins.items()):
            credentials = jobs.login_secret(
                ctx, namespace, app, login, host=args.host, port=args.port
            )
            jobs.cron_job(
                ctx,
                app,
                args.config,
                storage,
                depends_on=[*namespace.after, policy, writer, credentials, *storage.ready],
            )
        if args.target.alerts_ready is not None:
            ctx.custom_resource(
                "database-backup-alerts",
                MONITORING_API,
                "PrometheusRule",
                "database-backup-alerts",
                namespace=MONITORING_NAMESPACE,
                spec={"groups": backup_rules(sorted(args.logins))},
                depends_on=[args.target.alerts_ready],
            )
        self.bucket = storage.bucket
        self.register_outputs({"bucket": self.bucket})
