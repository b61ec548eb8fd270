"""The platform, composed: stack config in, components wired, outputs out.

Everything environment-specific comes from `Pulumi.<stack>.yaml`; this file has no
per-environment branches, and no component's internals: each hands the next a contract.
"""

import pulumi
import pulumi_cloudflare as cloudflare

from infra import naming
from infra.access import cluster_access
from infra.addons.argocd import ProjectScope
from infra.addons.observability import HubSettings, runbook_url
from infra.app_urls import dependency_urls, preference_order
from infra.clusters.base import EVERYWHERE, FirewallSource
from infra.components.app_deployment import AppDeployment, AppDeploymentArgs
from infra.components.contracts import ClusterSettings
from infra.components.global_load_balancer import GlobalLoadBalancer, GlobalLoadBalancerArgs
from infra.components.mgmt_cluster import MgmtCluster, MgmtClusterArgs
from infra.components.pulumi_deployments import deployment_settings
from infra.components.shared_database import SharedDatabase, SharedDatabaseArgs
from infra.components.workload_cluster import WorkloadCluster, WorkloadClusterArgs
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
)
# Zone-wide, and Cloudflare's delete of it is a no-op: removing this leaves the mode set.
cloudflare.ZoneSetting(
    "zone-ssl-mode",
    zone_id=config.cloudflare.zone_id,
    setting_id="ssl",
    value=config.cloudflare.ssl_mode,
)
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
                    runbook_url=runbook_url(
                        config.deployments.repository if config.deployments else None,
                        config.deployments.branch if config.deployments else "main",
                    ),
                )
                if config.observability_enabled
                else None
            ),
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
                metrics=mgmt.metrics_target,
                cost=config.cost_enabled,
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
            apps=where.database_apps,
            clients=[
                *FirewallSource.of([*config.admin_cidrs, *config.database.allowed_cidrs]),
                *(
                    FirewallSource(f"{name}-egress-{i}", cidr)
                    for name in where.database_clients
                    for i, cidr in enumerate(clusters[name].egress_cidrs)
                ),
            ],
            protect=protect,
            retain_on_delete=retain_on_delete,
        ),
    )
    pulumi.export("databaseHost", database.host)

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
            database_secret_path=(
                database.app_secret_paths.get(app.name) if database and app.database else None
            ),
        ),
    )
    for app in config.apps
}

balancers = {
    app.name: GlobalLoadBalancer(
        f"{app.name}-global",
        GlobalLoadBalancerArgs(
            environment=config.environment,
            app=app.name,
            domain=config.domain,
            account_id=config.cloudflare.account_id,
            zone_id=config.cloudflare.zone_id,
            health_check_path=app.health_check_path,
            monitor=config.monitor_for(app),
            steering_policy=config.steering_for(app),
            session_affinity=config.affinity_for(app),
            clusters=preference_order(config, where[app.name]),
            drained=[c for c in config.drain if c in where[app.name]],
        ),
        opts=pulumi.ResourceOptions(depends_on=[apps[app.name]]),
    )
    for app in config.apps
    if app.public
}

if config.deployments is not None:
    deployment_settings(config.deployments)

pulumi.export("argocdUrl", mgmt.argocd_url)
pulumi.export("argocdAdminPassword", mgmt.admin_password)
pulumi.export("mgmtKubeconfig", mgmt.kubeconfig)
if mgmt.grafana_admin_password is not None:
    pulumi.export("grafanaUrl", mgmt.grafana_url)
    pulumi.export("grafanaAdminPassword", mgmt.grafana_admin_password)
pulumi.export("clusters", {name: c.api_endpoint for name, c in clusters.items()})
pulumi.export("apps", {name: a.cluster_urls for name, a in apps.items()})
pulumi.export("failureDetection", {lb.hostname: lb.detection for lb in balancers.values()})
