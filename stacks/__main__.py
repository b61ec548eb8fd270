"""The platform, composed: stack config in, components wired, outputs out.

Everything environment-specific comes from `Pulumi.<stack>.yaml`; this file has no
per-environment branches, and no component's internals: each hands the next a contract.
"""

import pulumi
import pulumi_cloudflare as cloudflare

from infra import naming
from infra.access import cluster_access, secret_readers
from infra.addons.argocd import ProjectScope
from infra.addons.observability import HubSettings, runbook_url
from infra.addons.traffic import ClientPolicy
from infra.app_urls import dependency_urls, preference_order, same_cluster_callers
from infra.backups.component import DatabaseBackups, DatabaseBackupsArgs
from infra.clusters.base import EVERYWHERE, FirewallSource
from infra.components.app_deployment import AppDeployment, AppDeploymentArgs
from infra.components.contracts import ClusterSettings
from infra.components.global_load_balancer import GlobalLoadBalancer, GlobalLoadBalancerArgs
from infra.components.mgmt_cluster import MgmtCluster, MgmtClusterArgs
from infra.components.sealing_keys import sealing_keys
from infra.components.shared_database import SharedDatabase, SharedDatabaseArgs
from infra.components.workload_cluster import WorkloadCluster, WorkloadClusterArgs
from infra.config import AppConfig
from infra.credentials.origin_pulls import zone_origin_pulls
from infra.entitlements import cloudflare as cloudflare_plan
from infra.outputs import KnownLater
from infra.placement import application_selector, cluster_labels
from infra.stackconfig import from_running_program

valid = from_running_program()
config, where = valid.config, valid.placement
# With scoped tokens (the default) each cluster mints its own zone-scoped DNS token.
dns_token = (
    None
    if config.cloudflare.scoped_tokens
    else pulumi.Config("cloudflare").require_secret("apiToken")
)

project = (
    ProjectScope(
        name=config.environment,
        source_repos=[app.source.repo_url for app in config.apps],
        destinations=[(c, app.target_namespace) for app in config.apps for c in where[app.name]],
    )
    if config.apps
    else None
)

settings = ClusterSettings(
    environment=config.environment,
    domain=config.domain,
    acme_email=config.acme_email,
    aws_region=config.aws_region,
    cloudflare_zone_id=config.cloudflare.zone_id,
    traffic_controller=config.traffic_controller,
    chart_versions=config.chart_versions,
    dns_token=dns_token,
    # Owned by the stack, not by any cluster: a rebuilt cluster gets the same ones.
    sealing_keys=sealing_keys(
        config.environment, config.sealed_secrets.keys, protect=config.is_production
    ),
)
# Zone-wide, and Cloudflare's delete of it is a no-op: removing this leaves the mode set.
cloudflare.ZoneSetting(
    "zone-ssl-mode",
    zone_id=config.cloudflare.zone_id,
    setting_id="ssl",
    value=config.cloudflare.ssl_mode,
)
# Argo CD is told to watch an app namespace only once argocd-manager may read it there:
# its relist would otherwise get 403s and drop the kinds until its 12-hour resync
# (argo-cd v3.4.4 controller/cache/cache.go L848-890, gitops-engine cluster.go L1101-1106).
with KnownLater[list[str]]("the app namespaces' grants") as grants:
    # Workload clusters wait for the management cluster's egress, and its load balancer
    # admits theirs: the hub's writers are filled in once the workload clusters exist.
    with KnownLater[list[str]]("the workload clusters' egress") as metrics_writers:
        mgmt = MgmtCluster(
            naming.MGMT_CLUSTER,
            MgmtClusterArgs(
                settings=settings,
                cluster=config.mgmt_cluster,
                admin_cidrs=config.admin_cidrs,
                web_sources=(
                    EVERYWHERE
                    if config.argocd.exposure == "public"
                    else FirewallSource.of([*config.admin_cidrs, *config.argocd.allowed_cidrs])
                ),
                kubeconfig=(
                    pulumi.Output.secret(config.mgmt_kubeconfig.get_secret_value())
                    if config.mgmt_kubeconfig
                    else None
                ),
                project=project,
                observability=(
                    HubSettings(
                        sizing=config.hub_sizing,
                        alerting=config.alerting,
                        clusters=[naming.MGMT_CLUSTER, *(c.name for c in config.enabled_clusters)],
                        runbook_url=runbook_url(config.delivery),
                    )
                    if config.observability_enabled
                    else None
                ),
                metrics_writers=[c.name for c in config.enabled_clusters],
                metrics_writer_cidrs=metrics_writers.output,
                cost=config.cost_enabled,
            ),
        )

        # Origin lockdown: clusters behind a proxied load balancer admit 80/443 only from
        # Cloudflare, the admin CIDRs and the egress the config states for its clusters.
        cloudflare_ranges = cloudflare.get_ip_ranges_output().ipv4_cidrs if where.fronted else None
        locked_web_sources = FirewallSource.of(
            [
                *config.admin_cidrs,
                *(c for cluster in config.enabled_clusters for c in cluster.egress_cidrs),
            ]
        )
        access = cluster_access(config, where)
        # Every name a workload cluster serves is reached through this zone's Cloudflare,
        # which presents the zone's own client certificate; the clusters accept no other.
        origin_pulls = zone_origin_pulls(config.environment, config.cloudflare.zone_id)
        client_policy = ClientPolicy(
            origin_pull_ca=origin_pulls.ca_certificate, after=[origin_pulls.ready]
        )
        clusters: dict[str, WorkloadCluster] = {}
        for cluster in config.enabled_clusters:
            fronted = cluster.name in where.fronted
            clusters[cluster.name] = WorkloadCluster(
                cluster.name,
                WorkloadClusterArgs(
                    settings=settings,
                    cluster=cluster,
                    labels=cluster_labels(config, cluster),
                    admin_cidrs=config.admin_cidrs,
                    web_sources=locked_web_sources if fronted else EVERYWHERE,
                    cloudflare_ranges=cloudflare_ranges if fronted else None,
                    argocd=mgmt.argocd_target,
                    access=access[cluster.name],
                    namespaces_granted=grants.output,
                    metrics=mgmt.metrics_target,
                    cost=config.cost_enabled,
                    client_policy=client_policy,
                ),
            )
        metrics_writers.resolve(
            pulumi.Output.all(*(c for w in clusters.values() for c in w.egress_cidrs)).apply(list)
        )

    database = None
    if config.database is not None:
        protect, retain_on_delete = config.database_protection()
        database = SharedDatabase(
            config.database.name,
            SharedDatabaseArgs(
                environment=config.environment,
                database=config.database,
                apps=secret_readers(config, where),
                clients=[
                    *FirewallSource.of([*config.admin_cidrs, *config.database.allowed_cidrs]),
                    *(
                        FirewallSource(f"{name}-egress-{i}", cidr)
                        for name in where.database_clients
                        for i, cidr in enumerate(clusters[name].egress_cidrs)
                    ),
                    # The backup jobs run on the management cluster.
                    *(
                        FirewallSource(f"{naming.MGMT_CLUSTER}-egress-{i}", cidr)
                        for i, cidr in enumerate(mgmt.operations_target.egress_cidrs)
                        if config.database.backups is not None
                    ),
                ],
                protect=protect,
                retain_on_delete=retain_on_delete,
            ),
        )
        pulumi.export("databaseHost", database.host)
        if config.database.backups is not None and database.app_logins:
            backups = DatabaseBackups(
                "database-backups",
                DatabaseBackupsArgs(
                    environment=config.environment,
                    aws_region=config.aws_region,
                    config=config.database.backups,
                    host=database.host,
                    port=database.port,
                    logins=database.app_logins,
                    target=mgmt.operations_target,
                    protect=protect,
                    retain_on_delete=retain_on_delete,
                ),
            )
            pulumi.export("backupBucket", backups.bucket)

    def private_callers(app: AppConfig) -> pulumi.Output[list[str]]:
        """Who may call a private app's per-cluster name: adminCidrs, and the egress of
        every cluster an app that depends on it runs on."""
        callers = sorted(
            {c for other in config.apps if app.name in other.depends_on for c in where[other.name]}
        )
        egress = [cidr for name in callers for cidr in clusters[name].egress_cidrs]
        return pulumi.Output.all(*config.admin_cidrs, *egress).apply(
            lambda found: sorted(set(found))
        )

    apps = {
        app.name: AppDeployment(
            app.name,
            AppDeploymentArgs(
                app=app,
                domain=config.domain,
                project=config.environment,
                argocd=mgmt.argocd_target,
                selector=application_selector(config, app).model_dump(
                    by_alias=True, exclude_defaults=True
                ),
                targets={name: clusters[name].app_target for name in where[app.name]},
                dependency_urls=dependency_urls(config, where, app),
                callers=same_cluster_callers(config, where, app),
                allowed_cidrs=None if app.public else private_callers(app),
                database_secret_path=(
                    database.app_secret_paths.get(app.name) if database and app.database else None
                ),
                database_secret_version=(
                    database.app_secret_versions.get(app.name)
                    if database and app.database
                    else None
                ),
            ),
        )
        for app in config.apps
    }
    grants.resolve(
        pulumi.Output.all(*(b.id for a in apps.values() for b in a.grants.values())).apply(
            lambda ids: [str(i) for i in ids]
        )
    )


def global_load_balancer(app: AppConfig) -> GlobalLoadBalancer:
    """The app's Cloudflare load balancer, with what the account's plan allows
    (infra.entitlements.cloudflare checked it and derives these)."""
    placed = preference_order(config, where[app.name])
    steering = config.steering_for(app)
    return GlobalLoadBalancer(
        f"{app.name}-global",
        GlobalLoadBalancerArgs(
            environment=config.environment,
            app=app.name,
            domain=config.domain,
            account_id=config.cloudflare.account_id,
            zone_id=config.cloudflare.zone_id,
            zone_name=config.cloudflare.zone_name or config.domain,
            health_check_path=app.health_check_path,
            monitor=config.monitor_for(app),
            steering_policy=steering,
            session_affinity=config.affinity_for(app),
            clusters=placed,
            check_regions=cloudflare_plan.check_regions(config, placed),
            drained=[c for c in config.drain if c in placed],
            region_pools=cloudflare_plan.region_pools(config, placed) if steering == "geo" else {},
            coordinates=(
                {c: cloudflare_plan.coordinates(config, c) for c in placed}
                if steering == "proximity"
                else {}
            ),
            session_affinity_headers=app.load_balancing.session_affinity_headers,
        ),
        opts=pulumi.ResourceOptions(depends_on=[apps[app.name]]),
    )


balancers = {app.name: global_load_balancer(app) for app in config.apps if app.public}

pulumi.export("argocdUrl", mgmt.argocd_url)
pulumi.export("argocdAdminPassword", mgmt.admin_password)
pulumi.export("mgmtKubeconfig", mgmt.kubeconfig)
if mgmt.grafana_admin_password is not None:
    pulumi.export("grafanaUrl", mgmt.grafana_url)
    pulumi.export("grafanaAdminPassword", mgmt.grafana_admin_password)
pulumi.export("clusters", {name: c.api_endpoint for name, c in clusters.items()})
# Where each cluster's traffic leaves from: what to admit in allowlists outside the
# platform, and what `platform exposure` names each cluster's pods by.
pulumi.export(
    "egressCidrs",
    {
        naming.MGMT_CLUSTER: mgmt.argocd_target.egress_cidrs,
        **{name: c.egress_cidrs for name, c in clusters.items()},
    },
)
pulumi.export("apps", {name: a.cluster_urls for name, a in apps.items()})
pulumi.export("failureDetection", {lb.hostname: lb.detection for lb in balancers.values()})
